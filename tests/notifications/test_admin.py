"""Admin: monitoring sets scoped to the clerk's agency, members through the service; rule
sets for the operator only."""

from __future__ import annotations

import pytest

from notifications.models import MonitoredSubject, MonitoringSet
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_clerk_creates_a_set_with_identifiers_and_sees_only_their_agency(
    client, carol, alice, company
):
    client.force_login(carol)
    r = client.post(
        "/admin/notifications/monitoringset/add/",
        {
            "name": "投标人",
            "description": "",
            "add_identifiers": f"{company.identifier}\n{company.identifier.lower()}",
            "remove_identifiers": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    mset = MonitoringSet.objects.get()
    assert mset.agency_id == carol.agency_id
    assert list(MonitoredSubject.objects.values_list("subject_id", flat=True)) == [company.pk]

    bad = client.post(
        "/admin/notifications/monitoringset/add/",
        {"name": "坏的", "add_identifiers": "91330100MA27XXXXXX", "remove_identifiers": ""},
        follow=True,
    )
    assert "#0" in bad.content.decode()
    assert MonitoringSet.objects.count() == 1

    client.force_login(alice)  # another agency
    assert client.get(f"/admin/notifications/monitoringset/{mset.pk}/change/").status_code in (
        302,
        404,
    )
    listing = client.get("/admin/notifications/monitoringset/")
    assert "投标人" not in listing.content.decode()


def test_rule_sets_are_for_the_operator(client, alice):
    client.force_login(alice)
    assert client.get("/admin/rating/ruleset/").status_code == 403
    operator = f.user("operator", None, "admin", is_superuser=True)
    client.force_login(operator)
    page = client.get("/admin/rating/ruleset/1/change/")
    assert page.status_code == 200 and "R01" in page.content.decode()
