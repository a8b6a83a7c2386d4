"""Monitoring sets: membership by identifier (all or nothing), scoping, and the resumable
changes feed fed from the lists' outbox, the sanctions feed and penalties."""

from __future__ import annotations

import datetime

import pytest

from blacklists import services as lists
from notifications import services
from notifications.models import MonitoredSubject, MonitoringSet, SubjectChange
from registry.models import CatalogueItem, CreditRecord
from tests import factories as f
from tests.sanctions.conftest import drain, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_settle(settings):
    settings.NOTIFICATIONS_SETTLE_SECONDS = 0


def test_create_with_identifiers_reports_every_bad_one_and_keeps_nothing(customs_api, company):
    person = f.subject("natural_person", name="张三")
    bad = customs_api.post(
        "/api/v1/monitoring-sets/",
        {
            "name": "2026年第3号招标投标人",
            "identifiers": [
                company.identifier.lower(),  # normalised, accepted
                "91330100MA27XXXXXX",  # wrong check character
                "<script>alert(1)</script>",
                f.uscc(99999),  # valid but not registered
                person.identifier,
            ],
        },
    )
    assert bad.status_code == 400
    # One error shape: nested errors are flattened into field paths (scs.api).
    errors = bad.json()["errors"]
    assert set(errors) == {"add.1", "add.2", "add.3"}
    assert not MonitoringSet.objects.exists()

    ok = customs_api.post(
        "/api/v1/monitoring-sets/",
        {"name": "2026年第3号招标投标人", "identifiers": [company.identifier, person.identifier]},
    )
    assert ok.status_code == 201 and ok.json()["size"] == 2
    set_id = ok.json()["id"]
    # A second identical add is harmless; removal by identifier.
    again = customs_api.post(
        f"/api/v1/monitoring-sets/{set_id}/subjects/",
        {"add": [company.identifier], "remove": [person.identifier]},
    )
    assert again.json() == {"added": 0, "removed": 1, "size": 1}
    members = customs_api.get(f"/api/v1/monitoring-sets/{set_id}/subjects/").json()
    assert [m["identifier"] for m in members["subjects"]] == [company.identifier]


def test_sets_are_scoped_to_the_agency(customs_api, caac_api, company):
    created = customs_api.post("/api/v1/monitoring-sets/", {"name": "A"}).json()
    assert caac_api.get("/api/v1/monitoring-sets/").json()["results"] == []
    for path in ("", "subjects/", "changes/"):
        assert caac_api.get(f"/api/v1/monitoring-sets/{created['id']}/{path}").status_code == 404
    r = caac_api.post(
        f"/api/v1/monitoring-sets/{created['id']}/subjects/", {"add": [company.identifier]}
    )
    assert r.status_code == 404
    assert not MonitoredSubject.objects.exists()


def test_size_limit(customs_api, settings, company):
    settings.MONITORING_SET_MAX_SUBJECTS = 2
    others = [f.subject("enterprise") for _ in range(2)]
    created = customs_api.post(
        "/api/v1/monitoring-sets/",
        {"name": "B", "identifiers": [company.identifier, others[0].identifier]},
    ).json()
    r = customs_api.post(
        f"/api/v1/monitoring-sets/{created['id']}/subjects/", {"add": [others[1].identifier]}
    )
    assert r.status_code == 400 and "add" in r.json()["errors"]
    assert MonitoredSubject.objects.count() == 2


def test_changes_since_cursor_cover_entries_measures_and_penalties(
    scene, customs_api, company, samr, bob
):
    other = f.subject("enterprise", name="不在集合里的公司")
    created = customs_api.post(
        "/api/v1/monitoring-sets/", {"name": "C", "identifiers": [company.identifier]}
    ).json()
    url = f"/api/v1/monitoring-sets/{created['id']}/changes/"
    start = customs_api.get(url).json()
    assert start["changes"] == []

    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    publish(scene["list"], other, scene["clerk"], scene["reviewer"])
    drain()  # sanctions imposed (M01 CAAC, M02 railway) → SanctionEvents
    item = CatalogueItem.objects.create(
        code="XZCF",
        name="行政处罚",
        category="negative",
        visibility="public",
        record_type="administrative_penalty",
        supplying_agency=samr,
        legal_basis="《行政处罚法》",
        publicity_months=36,
    )
    CreditRecord.objects.create(
        subject=company,
        catalogue_item=item,
        agency=samr,
        decision_number="杭市监罚〔2026〕1号",
        decision_date=datetime.date(2026, 3, 1),
        title="虚假宣传",
        content="罚款",
    )
    services.changes_collect_all()
    services.changes_collect_all()  # a second pass finds nothing new
    page = customs_api.get(url, {"since": start["next"]}).json()
    kinds = sorted(c["kind"] for c in page["changes"])
    assert kinds == ["entry_gained", "measure_imposed", "measure_imposed", "penalty_published"]
    assert {c["subject"] for c in page["changes"]} == {company.identifier}
    assert SubjectChange.objects.filter(subject=other).count() == 3  # recorded, not shown

    # Resume: nothing new since the last cursor; then the entry ends and both sides say so.
    assert customs_api.get(url, {"since": page["next"]}).json()["changes"] == []
    lists.list_entry_revoke(actor=bob, entry=entry, reason="撤销")
    drain()
    services.changes_collect_all()
    later = customs_api.get(url, {"since": page["next"]}).json()
    assert sorted((c["kind"], c["data"].get("reason")) for c in later["changes"]) == [
        ("entry_lost", "revoked"),
        ("measure_lifted", "revoked"),
        ("measure_lifted", "revoked"),
    ]
    # Paging by limit resumes exactly where it stopped.
    first = customs_api.get(url, {"since": start["next"], "limit": 2}).json()
    rest = customs_api.get(url, {"since": first["next"], "limit": 1000}).json()
    assert first["has_more"] and len(first["changes"]) + len(rest["changes"]) == 7
    # A cursor this endpoint never issued names no page (as DRF's cursor pagination answers).
    assert customs_api.get(url, {"since": "bm9wZTox"}).status_code == 404


def test_natural_person_ids_masked_for_agencies_without_the_need(scene, customs_api, customs):
    person = f.subject("natural_person", name="李四")
    created = customs_api.post(
        "/api/v1/monitoring-sets/", {"name": "D", "identifiers": [person.identifier]}
    ).json()
    publish(scene["list"], person, scene["clerk"], scene["reviewer"])
    services.changes_collect_all()
    page = customs_api.get(f"/api/v1/monitoring-sets/{created['id']}/changes/").json()
    assert page["changes"] and all(
        c["subject"] != person.identifier and c["subject"].endswith(person.identifier[-4:])
        for c in page["changes"]
    )
    members = customs_api.get(f"/api/v1/monitoring-sets/{created['id']}/subjects/").json()
    assert person.identifier not in str(members)


def test_commitments_hook_feeds_the_same_change_log(customs_api, company):
    """The commitments app (issue 13) registers its own source; its rows become changes."""
    created = customs_api.post(
        "/api/v1/monitoring-sets/", {"name": "E", "identifiers": [company.identifier]}
    ).json()
    from django.utils import timezone

    broken = [
        {
            "id": 1,
            "ts": timezone.now(),
            "subject_id": company.pk,
            "kind": "commitment_broken",
            "data": {"commitment": 1},
        }
    ]
    source = services._Source("commitments-test", lambda after, limit: broken if after < 1 else [])
    services.register_change_source(source)
    try:
        services.changes_collect_all()
    finally:
        services.SOURCES.remove(source)
    page = customs_api.get(f"/api/v1/monitoring-sets/{created['id']}/changes/").json()
    assert [c["kind"] for c in page["changes"]] == ["commitment_broken"]


def test_membership_changes_are_audited_per_request(customs_api, company):
    from notifications.models import MembershipChange

    person = f.subject("natural_person", name="王五")
    created = customs_api.post(
        "/api/v1/monitoring-sets/", {"name": "F", "identifiers": [company.identifier]}
    ).json()
    customs_api.post(
        f"/api/v1/monitoring-sets/{created['id']}/subjects/",
        {"add": [person.identifier], "remove": [company.identifier]},
    )
    log = list(MembershipChange.objects.order_by("at", "pk").values("added", "removed", "actor"))
    user = customs_api.user.pk
    assert log == [
        {"added": [company.pk], "removed": [], "actor": user},
        {"added": [person.pk], "removed": [company.pk], "actor": user},
    ]
