"""Admin views of memoranda and sanctions: provenance shown, scoping by agency, dry run."""

import pytest

from sanctions.models import Sanction
from tests import factories as f
from tests.sanctions.conftest import drain, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def imposed(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    return Sanction.objects.get(measure__code="M01")


def test_sanction_page_shows_the_whole_chain(client, imposed, caac):
    client.force_login(f.user("caac-clerk", caac))
    page = client.get(f"/admin/sanctions/sanction/{imposed.pk}/change/").content.decode()
    entry = imposed.entry
    for text in [
        imposed.measure.text,
        imposed.measure.legal_basis,
        imposed.measure.memorandum.document_number,
        entry.ground.legal_basis,
        entry.decision_number,
    ]:
        assert text in page


def test_agency_sees_sanctions_it_implements_or_caused(client, imposed, carol, alice):
    client.force_login(carol)  # customs: neither implements nor owns the list
    assert client.get(f"/admin/sanctions/sanction/{imposed.pk}/change/").status_code == 302
    assert "M01" not in client.get("/admin/sanctions/sanction/").content.decode()
    client.force_login(alice)  # the court owns the list that caused it
    assert client.get(f"/admin/sanctions/sanction/{imposed.pk}/change/").status_code == 200


def test_memorandum_page_shows_dry_run_and_clerks_cannot_edit(client, scene, company, alice):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])  # not yet propagated
    client.force_login(alice)
    url = f"/admin/sanctions/memorandum/{scene['mou'].pk}/change/"
    page = client.get(url).content.decode()
    assert "将对 1 个主体实施 2 项惩戒" in page
    response = client.post(url, {"title": "改"})
    assert response.status_code == 403
