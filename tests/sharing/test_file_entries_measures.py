"""The file's list entries and measures, read in one round trip (jsonb built from the ORM's
querysets), are exactly the ORM objects' values: keys, order, and Python types (dates,
aware datetimes), and render as the API's JSON."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from blacklists.selectors import entries_visible_to
from sanctions.models import Sanction
from sharing import selectors
from sharing.models import Consultation, Purpose
from tests.sanctions import conftest as sanctions

pytestmark = pytest.mark.django_db
# The sanctions tests' scene: a court list honoured by a memorandum with three measures.
scene = sanctions.scene


def _by_hand(user, subject):
    entries = [
        {
            "id": e.pk,
            "list": e.list.key,
            "list_name": e.list.name,
            "kind": e.list.kind,
            "owner": e.list.owner.subject.identifier,
            "state": e.state,
            "decision_number": e.decision_number,
            "decision_date": e.decision_date,
            "starts_on": e.starts_on,
            "ends_on": e.ends_on,
            "end_reason": e.end_reason,
        }
        for e in entries_visible_to(user).filter(subject=subject).order_by("-id")
    ]
    measures = [
        {
            "id": s.pk,
            "kind": s.measure.kind,
            "measure": s.measure.code,
            "measure_text": s.measure.text,
            "legal_basis": s.measure.legal_basis,
            "implementing_agency": s.measure.implementing_agency.subject.identifier,
            "memorandum": s.measure.memorandum.document_number,
            "list_entry": s.entry_id,
            "list": s.entry.list.key,
            "imposed_at": s.imposed_at,
        }
        for s in Sanction.objects.in_force()
        .filter(target=subject)
        .order_by("measure__memorandum_id", "measure__code", "id")
    ]
    return entries, measures


def test_file_entries_and_measures_equal_the_orm_values(scene, company, customs_api, caac_api):
    actors = scene["clerk"], scene["reviewer"]
    first = sanctions.publish(scene["list"], company, *actors)
    second = sanctions.publish(scene["list"], company, *actors, number="（2026）二号")
    sanctions.drain()
    purpose = Purpose.objects.get(code="enforcement")
    for client in (customs_api, caac_api):
        found = selectors.subject_file(user=client.user, subject=company, purpose=purpose)
        entries, measures = _by_hand(client.user, company)
        assert [e["id"] for e in found.list_entries] == [second.pk, first.pk]
        assert found.list_entries == entries
        assert sorted(found.measures, key=lambda m: m["id"]) == sorted(
            measures, key=lambda m: m["id"]
        )
        assert [(m["memorandum"], m["measure"]) for m in found.measures] == [
            (m["memorandum"], m["measure"]) for m in measures
        ]
        assert found.measures and all(
            isinstance(m["imposed_at"], datetime.datetime)
            and m["imposed_at"].utcoffset() is not None
            for m in found.measures
        )
        assert isinstance(found.list_entries[0]["decision_date"], datetime.date)
    with translation.override("zh-hans"):
        body = caac_api.get(
            f"/api/v1/subjects/{company.identifier}/file/?purpose=enforcement&reference=执-1"
        ).json()
    stamp = Sanction.objects.get(pk=body["measures"][0]["id"]).imposed_at
    assert body["measures"][0]["imposed_at"] == stamp.isoformat().replace("+00:00", "Z")
    assert body["list_entries"][0]["decision_date"] == second.decision_date.isoformat()
    assert Consultation.objects.filter(channel="file", subject=company).count() == 1


def test_file_without_entries_or_measures(company, customs_api):
    purpose = Purpose.objects.get(code="enforcement")
    found = selectors.subject_file(user=customs_api.user, subject=company, purpose=purpose)
    assert found.list_entries == [] and found.measures == []
