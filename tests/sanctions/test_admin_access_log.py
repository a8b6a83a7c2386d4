"""The admin and its exports write the access log (issues 11 and 12): a page showing a
subject's non-public data leaves exactly one row per view; an export leaves one row per
exported subject, written by one statement; pages of public data leave none."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blacklists import services as lists
from sanctions.models import Sanction
from sharing.models import Consultation, Purpose
from tests import factories as f
from tests.sanctions.conftest import draft, drain, publish

pytestmark = pytest.mark.django_db

ENFORCE = "/admin/sanctions/to-enforce/"


def test_a_clerk_opening_an_unpublished_entry_leaves_exactly_one_row(client, scene, company, carol):
    alice = scene["clerk"]
    entry = draft(scene["list"], company, alice)
    client.force_login(alice)
    assert client.get(f"/admin/blacklists/listentry/{entry.pk}/change/").status_code == 200
    row = Consultation.objects.get()
    assert (row.user, row.agency_id, row.subject) == (alice, alice.agency_id, company)
    assert (row.channel, row.purpose, row.outcome) == ("admin", "administrative_work", "returned")
    assert row.items == [{"entry": entry.pk, "list": scene["list"].key, "state": "draft"}]
    assert row.reference == f"admin:blacklists.listentry:{entry.pk}"
    # The purpose is data, like the others, but not one an API caller may state.
    assert Purpose.objects.get(code="administrative_work").is_active is False
    # Another look is another row; a refused page (another agency's clerk) is not a look.
    client.get(f"/admin/blacklists/listentry/{entry.pk}/change/")
    assert Consultation.objects.count() == 2
    client.force_login(carol)  # a clerk of customs
    response = client.get(f"/admin/blacklists/listentry/{entry.pk}/change/")
    assert response.status_code in (302, 403, 404)
    assert Consultation.objects.count() == 2


def test_pages_of_public_data_leave_no_row(client, scene, company):
    alice = scene["clerk"]
    published = publish(scene["list"], company, alice, scene["reviewer"])
    client.force_login(alice)
    for url in (
        f"/admin/blacklists/listentry/{published.pk}/change/",  # in publicity
        "/admin/blacklists/listentry/",
        "/admin/blacklists/listentry/?q=恒信",
        "/admin/registry/subject/",
        f"/admin/registry/subject/{company.pk}/change/",  # an enterprise's code is public
        "/admin/registry/creditrecord/",
        "/admin/blacklists/objection/",
    ):
        assert client.get(url).status_code == 200, url
    assert not Consultation.objects.exists()


def test_objection_sanction_and_full_resident_id_pages_are_logged(
    client, scene, company, person, railway
):
    alice, bob = scene["clerk"], scene["reviewer"]
    entry = draft(scene["list"], company, alice)
    lists.list_entry_submit(actor=alice, entry=entry)
    lists.list_entry_approve(actor=bob, entry=entry)
    lists.list_entry_notify(actor=alice, entry=entry, via="electronic", reference="N-1")
    objection = lists.objection_file(
        entry=entry, filed_by_name="王五", contact="13800000000", disputed_facts="金额有误"
    )
    client.force_login(bob)
    assert client.get(f"/admin/blacklists/objection/{objection.pk}/change/").status_code == 200
    row = Consultation.objects.get()
    assert row.subject == company and row.items == [
        {"objection": objection.tracking_number, "entry": entry.pk, "evidence": False}
    ]

    f.role(company, person)
    publish(scene["list"], company, alice, bob)
    drain()
    m03 = Sanction.objects.get(measure__code="M03")
    caac_clerk = f.user("caac-clerk", m03.implementing_agency)
    client.force_login(caac_clerk)
    assert client.get(f"/admin/sanctions/sanction/{m03.pk}/change/").status_code == 200
    row = Consultation.objects.latest("id")
    assert (row.subject, row.user, row.items) == (
        person,
        caac_clerk,
        [{"sanction": m03.pk, "measure": "M03"}],
    )
    # CAAC's tasks need full resident IDs: its view of a person's page shows one, and is logged.
    before = Consultation.objects.count()
    page = client.get(f"/admin/registry/subject/{person.pk}/change/").content.decode()
    assert person.identifier in page
    assert Consultation.objects.count() == before + 1
    # The railway sees the ID masked: nothing non-public on the page, no row.
    client.force_login(f.user("rail-clerk", railway))
    page = client.get(f"/admin/registry/subject/{person.pk}/change/").content.decode()
    assert person.identifier not in page
    assert Consultation.objects.count() == before + 1


def test_an_export_leaves_one_row_per_exported_subject_in_one_statement(client, scene, person):
    alice, bob = scene["clerk"], scene["reviewer"]
    companies = [f.subject("enterprise", name=f"杭州某某{n}号科技有限公司") for n in range(3)]
    for company in companies:
        f.role(company, person)  # one legal representative for all three: three exit bans
        publish(scene["list"], company, alice, bob)
    drain()
    caac = Sanction.objects.get(measure__code="M01", target=companies[0]).implementing_agency
    caac_clerk = f.user("caac-clerk", caac)
    client.force_login(caac_clerk)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ENFORCE, {"export": "csv"})
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    inserts = [q for q in queries.captured_queries if "INSERT INTO" in q["sql"].upper()]
    inserts = [q for q in inserts if "sharing_consultation" in q["sql"]]
    assert len(inserts) == 1  # set-based: one INSERT … SELECT, whatever the number of subjects
    lines = list(csv.reader(io.StringIO(body)))[1:]
    assert len(lines) == 6  # three no-fly (companies) and three exit bans (their representative)
    rows = {row.subject_id: row for row in Consultation.objects.all()}
    assert set(rows) == {c.pk for c in companies} | {person.pk}
    assert all(r.channel == "export" and r.user == caac_clerk for r in rows.values())
    assert all(r.purpose == "administrative_work" and r.agency == caac for r in rows.values())
    assert rows[person.pk].reference == "admin:to-enforce:csv"
    assert sorted(i["sanction"] for i in rows[person.pk].items) == sorted(
        Sanction.objects.filter(target=person).values_list("pk", flat=True)
    )
    assert [i["measure"] for i in rows[companies[0].pk].items] == ["M01"]

    # XLSX, filtered to one measure: one row per subject of that export only.
    key = scene["mou"].key
    client.get(ENFORCE, {"export": "xlsx", "measure": f"{key}:M03"})
    xlsx_rows = Consultation.objects.filter(reference="admin:to-enforce:xlsx")
    assert [r.subject_id for r in xlsx_rows] == [person.pk]
    assert len(xlsx_rows[0].items) == 3
    # The page itself (not an export) leaves no row: codes on it follow the viewer's right.
    client.get(ENFORCE)
    assert Consultation.objects.count() == 5
