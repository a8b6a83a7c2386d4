"""The derived watch list (big data alert): the published three-agency rule flags candidates;
a reviewer confirms or dismisses; nothing automatic reaches publication."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from blacklists import services
from blacklists.models import EntryState, ListEntry, OutboxEvent, WatchCandidate
from blacklists.tasks import detect_watch_candidates, run_list_clock
from registry.models import CatalogueItem
from tests import factories as f
from tests.blacklists.conftest import draft, negative_item, negative_record, publish_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def watch_list(court):
    return f.list_definition(
        court,
        kind="watchlist",
        is_derived=True,
        may_trigger_joint_measures=False,
        subject_kinds=["enterprise"],
        key="big-data-alert",
    )


@pytest.fixture
def sources(customs, caac, railway):
    return [customs, caac, railway]


def flag(subject, agencies):
    return [negative_record(subject, agency) for agency in agencies]


def confirm(candidate, actor, watch_list, reasons="三个部门的失信记录经核实无误。"):
    return services.watch_candidate_confirm(
        actor=actor,
        candidate=candidate,
        ground=watch_list.grounds.get(code="G1"),
        tier=watch_list.tiers.get(tier="serious"),
        duration_months=24,
        reasons=reasons,
    )


# --- detection -----------------------------------------------------------------------------------


def test_three_agencies_flag_a_subject_two_do_not(watch_list, sources, customs, caac):
    three = f.subject("enterprise")
    records = flag(three, sources)
    two = f.subject("enterprise")
    flag(two, [customs, caac, caac, customs])  # four records, but two agencies

    assert services.watch_candidates_detect(watch_list=watch_list) == 1
    candidate = WatchCandidate.objects.get()
    assert candidate.subject == three
    assert candidate.status == WatchCandidate.Status.CANDIDATE
    assert set(candidate.source_agencies.all()) == set(sources)
    assert {(e["type"], e["id"]) for e in candidate.evidence} == {
        ("credit_record", r.pk) for r in records
    }
    # Only a candidate: nothing listed, nothing published.
    assert not ListEntry.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_only_current_negative_records_count(watch_list, customs, caac, railway):
    subject = f.subject("enterprise")
    flag(subject, [customs, caac])
    positive = negative_item(railway)
    positive.category = CatalogueItem.Category.POSITIVE
    positive.save()
    negative_record(subject, railway, item=positive)
    lapsed = negative_record(subject, railway)
    lapsed.publicity_ends_on = timezone.localdate()
    lapsed.save()
    assert services.watch_candidates_detect(watch_list=watch_list) == 0
    assert not WatchCandidate.objects.exists()


def test_a_published_blacklist_entry_is_one_source(
    watch_list, court_list, customs, caac, alice, bob
):
    subject = f.subject("enterprise")
    flag(subject, [customs, caac])
    pending = draft(court_list, subject, alice)
    assert services.watch_candidates_detect(watch_list=watch_list) == 0  # a draft is no source

    entry = publish_now(pending, clerk=alice, reviewer=bob)
    assert services.watch_candidates_detect(watch_list=watch_list) == 1
    candidate = WatchCandidate.objects.get()
    assert {"type": "list_entry", "id": entry.pk, "decision_number": entry.decision_number} in [
        {k: e[k] for k in ("type", "id", "decision_number")} for e in candidate.evidence
    ]
    assert court_list.owner in candidate.source_agencies.all()


def test_detection_is_idempotent_and_respects_subject_kinds(watch_list, sources):
    flag(f.subject("enterprise"), sources)
    flag(f.subject("natural_person"), sources)  # the watch list holds enterprises only
    assert services.watch_candidates_detect(watch_list=watch_list) == 1
    assert services.watch_candidates_detect(watch_list=watch_list) == 0
    assert WatchCandidate.objects.count() == 1


def test_only_derived_lists_take_candidates(court_list, sources):
    flag(f.subject("enterprise"), sources)
    with pytest.raises(ValidationError) as exc:
        services.watch_candidates_detect(watch_list=court_list)
    assert "watch_list" in exc.value.message_dict


def test_detection_task(watch_list, sources):
    flag(f.subject("enterprise"), sources)
    assert detect_watch_candidates.apply().get() == 1
    assert WatchCandidate.objects.filter(watch_list=watch_list).count() == 1


# --- the reviewer decides ----------------------------------------------------------------------


def test_confirm_creates_an_approved_entry_not_a_published_one(watch_list, sources, bob):
    subject = f.subject("enterprise")
    flag(subject, sources)
    services.watch_candidates_detect(watch_list=watch_list)
    candidate = WatchCandidate.objects.get()

    entry = confirm(candidate, bob, watch_list)
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED
    assert (entry.list, entry.subject, entry.approved_by) == (watch_list, subject, bob)
    assert entry.duration_months == 24
    assert entry.published_at is None
    candidate.refresh_from_db()
    assert (candidate.status, candidate.entry, candidate.decided_by) == ("confirmed", entry, bob)
    assert not OutboxEvent.objects.exists()
    # A confirmed subject with a live entry is not flagged again.
    assert services.watch_candidates_detect(watch_list=watch_list) == 0


def test_nothing_automatic_reaches_publication(watch_list, sources, bob):
    flag(f.subject("enterprise"), sources)
    detect_watch_candidates.apply()
    entry = confirm(WatchCandidate.objects.get(), bob, watch_list)
    # The clock, run much later, publishes nothing that was not notified to the subject.
    later = timezone.now() + datetime.timedelta(days=400)
    assert services.list_clock_publish_lapsed(now=later) == 0
    run_list_clock.apply()
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED
    assert not ListEntry.objects.filter(state=EntryState.PUBLISHED).exists()
    assert not OutboxEvent.objects.exists()


def test_confirm_rules(watch_list, sources, alice, bob, carol):
    flag(f.subject("enterprise"), sources)
    services.watch_candidates_detect(watch_list=watch_list)
    candidate = WatchCandidate.objects.get()
    with pytest.raises(PermissionDenied):
        confirm(candidate, alice, watch_list)  # a clerk
    with pytest.raises(PermissionDenied):
        confirm(candidate, carol, watch_list)  # another agency
    with pytest.raises(ValidationError) as exc:
        confirm(candidate, bob, watch_list, reasons="  ")
    assert "reasons" in exc.value.message_dict
    confirm(candidate, bob, watch_list)
    with pytest.raises(ValidationError) as exc:
        confirm(candidate, bob, watch_list)
    assert "status" in exc.value.message_dict
    assert ListEntry.objects.count() == 1


def test_dismiss(watch_list, sources, alice, bob):
    subject = f.subject("enterprise")
    flag(subject, sources)
    services.watch_candidates_detect(watch_list=watch_list)
    candidate = WatchCandidate.objects.get()
    with pytest.raises(PermissionDenied):
        services.watch_candidate_dismiss(actor=alice, candidate=candidate, reasons="x")
    with pytest.raises(ValidationError):
        services.watch_candidate_dismiss(actor=bob, candidate=candidate, reasons="")
    services.watch_candidate_dismiss(actor=bob, candidate=candidate, reasons="处罚已被撤销")
    candidate.refresh_from_db()
    assert (candidate.status, candidate.reasons, candidate.entry) == (
        "dismissed",
        "处罚已被撤销",
        None,
    )
    assert not ListEntry.objects.exists()
    with pytest.raises(ValidationError):
        confirm(candidate, bob, watch_list)


def test_dismissed_subject_is_flagged_again_only_on_new_evidence(watch_list, sources, samr, bob):
    subject = f.subject("enterprise")
    flag(subject, sources)
    services.watch_candidates_detect(watch_list=watch_list)
    services.watch_candidate_dismiss(
        actor=bob, candidate=WatchCandidate.objects.get(), reasons="记录不实"
    )
    # The nightly run sees the same records: the reviewer's dismissal stands.
    assert services.watch_candidates_detect(watch_list=watch_list) == 0
    # A new negative record is new evidence: the subject is a candidate again.
    negative_record(subject, samr)
    assert services.watch_candidates_detect(watch_list=watch_list) == 1
    assert WatchCandidate.objects.filter(subject=subject, status="candidate").count() == 1


def test_dismiss_in_the_admin(client, watch_list, sources, bob):
    flag(f.subject("enterprise"), sources)
    services.watch_candidates_detect(watch_list=watch_list)
    candidate = WatchCandidate.objects.get()
    client.force_login(bob)
    response = client.post(
        "/admin/blacklists/watchcandidate/",
        {"action": "dismiss_selected", "_selected_action": [candidate.pk]},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == ("dismissed", bob)
