"""Due process of list entries through the services: every transition allowed and refused,
drafting rules, objections, credit repair, revocation and the audit history."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from blacklists import services
from blacklists.models import EntryState, ListEntry, Objection, OutboxEvent
from registry.models import add_months
from tests import factories as f
from tests.blacklists.conftest import advance, draft, publish_now


@pytest.fixture(autouse=True)
def english():
    """These tests read the refusals' English source text (the admin and API tests read them
    in Chinese, the default language)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))


def fields_of(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


def events(entry) -> list[str]:
    return list(OutboxEvent.objects.filter(entry=entry).values_list("kind", flat=True))


# --- drafting --------------------------------------------------------------------------------


def test_create_draft_records_maker_and_source_decision(court_list, company, alice):
    entry = draft(court_list, company, alice, number="（2026）浙01执1号")
    entry.refresh_from_db()
    assert entry.state == EntryState.DRAFT
    assert entry.created_by == alice
    assert entry.decision_number == "（2026）浙01执1号"
    assert events(entry) == []


def test_clerk_of_another_agency_cannot_draft_on_the_list(court_list, company, carol):
    with pytest.raises(PermissionDenied):
        draft(court_list, company, carol)
    assert not ListEntry.objects.exists()


def test_subject_kind_not_allowed_by_the_list(court, alice):
    only_companies = f.list_definition(court, subject_kinds=["enterprise"])
    person = f.subject("natural_person")
    with pytest.raises(ValidationError) as exc:
        draft(only_companies, person, alice)
    assert fields_of(exc) == {"subject"}


@pytest.mark.parametrize("months", [2, 13, None])
def test_duration_outside_the_tier_is_refused(court_list, company, alice, months):
    # general: 3-12 months; empty (permanent) only for a tier without an upper bound.
    with pytest.raises(ValidationError) as exc:
        draft(court_list, company, alice, tier="general", months=months)
    assert fields_of(exc) == {"duration_months"}


@pytest.mark.parametrize("months", [3, 12])
def test_duration_at_the_tier_bounds_is_accepted(court_list, company, alice, months):
    assert draft(court_list, company, alice, tier="general", months=months).pk


def test_permanent_entry_allowed_where_the_tier_is_unbounded(court_list, company, alice, bob):
    entry = draft(court_list, company, alice, tier="extremely_serious", months=None)
    entry = publish_now(entry, clerk=alice, reviewer=bob)
    assert entry.ends_on is None
    assert entry.publicity_ends_on == add_months(entry.starts_on, court_list.publicity_months)


def test_ground_and_tier_of_another_list_are_refused(court, court_list, company, alice):
    other = f.list_definition(court)
    with pytest.raises(ValidationError) as exc:
        services.list_entry_create(
            actor=alice,
            definition=court_list,
            subject=company,
            ground=other.grounds.get(code="G1"),
            tier=other.tiers.get(tier="general"),
            duration_months=6,
            decision_number="X-1",
            decision_date=datetime.date(2026, 1, 5),
            decision_issuer="法院",
            facts="事实",
        )
    assert fields_of(exc) == {"ground", "tier"}


def test_decision_dated_in_the_future_is_refused(court_list, company, alice):
    with pytest.raises(ValidationError) as exc:
        draft(
            court_list,
            company,
            alice,
            decision_date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert fields_of(exc) == {"decision_date"}


def test_inactive_list_takes_no_entries(court, company, alice):
    retired = f.list_definition(court, is_active=False)
    with pytest.raises(ValidationError) as exc:
        draft(retired, company, alice)
    assert "list" in fields_of(exc)


def test_draft_can_be_edited_in_draft(make_entry, alice):
    entry = make_entry("draft")
    services.list_entry_update(actor=alice, entry=entry, facts="更正后的事实", duration_months=9)
    entry.refresh_from_db()
    assert (entry.facts, entry.duration_months) == ("更正后的事实", 9)


@pytest.mark.parametrize("state", ["submitted", "approved", "notified", "published", "ended"])
def test_entry_cannot_be_edited_after_draft(make_entry, alice, state):
    entry = make_entry(state)
    with pytest.raises(ValidationError) as exc:
        services.list_entry_update(actor=alice, entry=entry, facts="改动")
    assert fields_of(exc) == {"state"}
    entry.refresh_from_db()
    assert entry.facts != "改动"


def test_edit_refuses_fields_outside_the_draft(make_entry, alice):
    entry = make_entry("draft")
    with pytest.raises(ValidationError) as exc:
        services.list_entry_update(actor=alice, entry=entry, state="published")
    assert fields_of(exc) == {"state"}
    entry.refresh_from_db()
    assert entry.state == EntryState.DRAFT


def test_edit_still_checks_the_tier(make_entry, alice):
    entry = make_entry("draft")
    with pytest.raises(ValidationError) as exc:
        services.list_entry_update(actor=alice, entry=entry, duration_months=40)
    assert fields_of(exc) == {"duration_months"}


# --- maker-checker ---------------------------------------------------------------------------


def test_full_lifecycle_to_publication(make_entry, alice, bob):
    entry = make_entry("draft")
    entry = services.list_entry_submit(actor=alice, entry=entry)
    assert (entry.state, entry.submitted_by) == (EntryState.SUBMITTED, alice)
    entry = services.list_entry_approve(actor=bob, entry=entry)
    assert (entry.state, entry.approved_by) == (EntryState.APPROVED, bob)
    entry = services.list_entry_notify(
        actor=alice, entry=entry, via="in_person", reference="送达回证 7"
    )
    assert entry.state == EntryState.NOTIFIED
    assert entry.objection_window_ends_at == entry.notified_at + datetime.timedelta(days=15)
    later = entry.objection_window_ends_at + datetime.timedelta(seconds=1)
    entry = services.list_entry_publish(actor=alice, entry=entry, now=later)
    entry.refresh_from_db()
    start = timezone.localdate(later)
    assert entry.state == EntryState.PUBLISHED
    assert entry.starts_on == start
    assert entry.ends_on == add_months(start, 6)
    # Publicity never outlasts the listing itself.
    assert entry.publicity_ends_on == entry.ends_on
    assert events(entry) == ["effect_started"]


def test_self_approval_is_refused(court_list, company, bob, bea):
    # A reviewer drafts and submits: she cannot approve her own work, a colleague can.
    entry = draft(court_list, company, bob)
    entry = services.list_entry_submit(actor=bob, entry=entry)
    with pytest.raises(PermissionDenied):
        services.list_entry_approve(actor=bob, entry=entry)
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED
    assert services.list_entry_approve(actor=bea, entry=entry).state == EntryState.APPROVED


def test_submitter_cannot_approve_what_a_colleague_drafted(make_entry, alice, bob, bea):
    entry = make_entry("draft")  # drafted by alice
    entry = services.list_entry_submit(actor=bob, entry=entry)
    with pytest.raises(PermissionDenied):
        services.list_entry_approve(actor=bob, entry=entry)
    assert services.list_entry_approve(actor=bea, entry=entry).approved_by == bea


def test_clerk_cannot_approve(make_entry, alice):
    entry = make_entry("submitted")
    other_clerk = f.user("alice2", alice.agency, "clerk")
    with pytest.raises(PermissionDenied):
        services.list_entry_approve(actor=other_clerk, entry=entry)


@pytest.mark.parametrize(
    ("state", "step"),
    [
        ("submitted", "submit"),
        ("approved", "submit"),
        ("draft", "approve"),
        ("approved", "approve"),
        ("draft", "notify"),
        ("submitted", "notify"),
        ("notified", "notify"),
        ("approved", "publish"),
        ("published", "publish"),
        ("draft", "return"),
        ("approved", "return"),
        ("ended", "revoke"),
    ],
)
def test_transition_from_the_wrong_state_is_refused(make_entry, alice, bea, state, step):
    entry = make_entry(state)
    far = timezone.now() + datetime.timedelta(days=365)
    calls = {
        "submit": lambda: services.list_entry_submit(actor=alice, entry=entry),
        "approve": lambda: services.list_entry_approve(actor=bea, entry=entry),
        "notify": lambda: services.list_entry_notify(
            actor=alice, entry=entry, via="electronic", reference="N-1"
        ),
        "publish": lambda: services.list_entry_publish(actor=alice, entry=entry, now=far),
        "return": lambda: services.list_entry_return(actor=bea, entry=entry, reason="补正"),
        "revoke": lambda: services.list_entry_revoke(actor=bea, entry=entry, reason="错误"),
    }
    before = OutboxEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        calls[step]()
    assert fields_of(exc) == {"state"}
    entry.refresh_from_db()
    assert entry.state == state
    assert OutboxEvent.objects.count() == before


@pytest.mark.parametrize("step", ["submit", "notify", "publish", "update", "revoke", "return"])
def test_clerk_of_agency_b_cannot_touch_agency_a_entries(make_entry, carol, customs, step):
    state = {"submit": "draft", "update": "draft", "return": "submitted"}.get(step, "notified")
    entry = make_entry(state)
    reviewer_b = f.user("customs-reviewer", customs, "reviewer")
    far = timezone.now() + datetime.timedelta(days=365)
    calls = {
        "submit": lambda: services.list_entry_submit(actor=carol, entry=entry),
        "notify": lambda: services.list_entry_notify(
            actor=carol, entry=entry, via="electronic", reference="N-1"
        ),
        "publish": lambda: services.list_entry_publish(actor=carol, entry=entry, now=far),
        "update": lambda: services.list_entry_update(actor=carol, entry=entry, facts="x"),
        "revoke": lambda: services.list_entry_revoke(actor=reviewer_b, entry=entry, reason="x"),
        "return": lambda: services.list_entry_return(actor=reviewer_b, entry=entry, reason="x"),
    }
    with pytest.raises(PermissionDenied):
        calls[step]()
    entry.refresh_from_db()
    assert entry.state == state


def test_reviewer_of_agency_b_cannot_approve_agency_a_entry(make_entry, customs):
    entry = make_entry("submitted")
    with pytest.raises(PermissionDenied):
        services.list_entry_approve(actor=f.user("cr", customs, "reviewer"), entry=entry)


def test_return_to_draft_needs_a_reviewer_and_a_reason(make_entry, alice, bob):
    entry = make_entry("submitted")
    with pytest.raises(PermissionDenied):
        services.list_entry_return(actor=alice, entry=entry, reason="补正")
    with pytest.raises(ValidationError) as exc:
        services.list_entry_return(actor=bob, entry=entry, reason="  ")
    assert fields_of(exc) == {"reason"}
    entry = services.list_entry_return(actor=bob, entry=entry, reason="决定书编号有误")
    assert entry.state == EntryState.DRAFT
    # Back in draft it can be corrected and resubmitted.
    services.list_entry_update(actor=alice, entry=entry, decision_number="（2026）浙01执9号")
    assert services.list_entry_submit(actor=alice, entry=entry).state == EntryState.SUBMITTED


# --- notice and publication -----------------------------------------------------------------


def test_notice_checks_channel_and_time(make_entry, alice):
    entry = make_entry("approved")
    with pytest.raises(ValidationError) as exc:
        services.list_entry_notify(actor=alice, entry=entry, via="carrier_pigeon", reference="N-1")
    assert fields_of(exc) == {"via"}
    with pytest.raises(ValidationError) as exc:
        services.list_entry_notify(
            actor=alice,
            entry=entry,
            via="electronic",
            reference="N-1",
            notified_at=timezone.now() + datetime.timedelta(hours=1),
        )
    assert fields_of(exc) == {"notified_at"}
    with pytest.raises(ValidationError) as exc:
        services.list_entry_notify(
            actor=alice,
            entry=entry,
            via="electronic",
            reference="N-1",
            notified_at=entry.approved_at - datetime.timedelta(minutes=1),
        )
    assert fields_of(exc) == {"notified_at"}
    # Backdated to the very moment of approval: still refused (notice follows approval).
    with pytest.raises(ValidationError) as exc:
        services.list_entry_notify(
            actor=alice,
            entry=entry,
            via="electronic",
            reference="N-1",
            notified_at=entry.approved_at,
        )
    assert fields_of(exc) == {"notified_at"}
    for blank in ("", "  \u3000 "):
        with pytest.raises(ValidationError) as exc:
            services.list_entry_notify(actor=alice, entry=entry, via="electronic", reference=blank)
        assert fields_of(exc) == {"reference"}
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED


def test_publishing_before_the_objection_window_ends_is_refused(notified, alice):
    just_before = notified.objection_window_ends_at - datetime.timedelta(seconds=1)
    with pytest.raises(ValidationError) as exc:
        services.list_entry_publish(actor=alice, entry=notified, now=just_before)
    assert fields_of(exc) == {"state"}
    assert "objection window" in exc.value.message_dict["state"][0]
    notified.refresh_from_db()
    assert notified.state == EntryState.NOTIFIED
    assert events(notified) == []
    # At the end of the window it goes through.
    at_end = notified.objection_window_ends_at
    assert services.list_entry_publish(actor=alice, entry=notified, now=at_end).state == (
        EntryState.PUBLISHED
    )


def test_immediate_publication_where_the_list_gives_a_legal_basis(court, company, alice, bob):
    court_decisions = f.list_definition(
        court, immediate_publication_basis="《最高人民法院关于公布失信被执行人名单信息的若干规定》"
    )
    entry = advance(draft(court_decisions, company, alice), "notified", clerk=alice, reviewer=bob)
    entry = services.list_entry_publish(actor=alice, entry=entry)
    assert entry.state == EntryState.PUBLISHED
    assert events(entry) == ["effect_started"]


# --- revocation ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "notified"])
def test_revoking_before_publication_ends_without_outbox_event(make_entry, bob, state):
    entry = make_entry(state)
    entry = services.list_entry_revoke(actor=bob, entry=entry, reason="决定已被撤销")
    entry.refresh_from_db()
    assert (entry.state, entry.end_reason) == (EntryState.ENDED, "revoked")
    assert entry.end_note == "决定已被撤销"
    assert events(entry) == []


def test_revoking_a_published_entry_ends_its_effect(published, alice, bob):
    with pytest.raises(PermissionDenied):
        services.list_entry_revoke(actor=alice, entry=published, reason="错误")
    with pytest.raises(ValidationError) as exc:
        services.list_entry_revoke(actor=bob, entry=published, reason="")
    assert fields_of(exc) == {"reason"}
    entry = services.list_entry_revoke(actor=bob, entry=published, reason="法院裁定撤销")
    assert (entry.state, entry.end_reason) == (EntryState.ENDED, "revoked")
    assert entry.ended_at is not None
    assert events(entry) == ["effect_started", "effect_ended"]
    assert not ListEntry.objects.in_force().filter(pk=entry.pk).exists()
    assert ListEntry.objects.archived().filter(pk=entry.pk).exists()


# --- objections ------------------------------------------------------------------------------


def file_objection(entry, **kw):
    return services.objection_file(
        entry=entry,
        filed_by_name=kw.pop("filed_by_name", "杭州恒信电子科技有限公司"),
        contact="0571-88888888",
        disputed_facts=kw.pop("disputed_facts", "欠款已于立案前清偿。"),
        **kw,
    )


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "ended"])
def test_objection_only_once_the_subject_was_notified(make_entry, state):
    entry = make_entry(state)
    with pytest.raises(ValidationError) as exc:
        file_objection(entry)
    assert fields_of(exc) == {"state"}
    assert not Objection.objects.exists()


def test_objection_states_the_disputed_facts(notified):
    with pytest.raises(ValidationError) as exc:
        file_objection(notified, disputed_facts="   ")
    assert fields_of(exc) == {"disputed_facts"}


def test_objection_deadline_counts_working_days(notified):
    # Filed on Friday 2026-11-20 (Asia/Shanghai): 15 working days skip three weekends.
    with time_machine.travel(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=TZ), tick=False):
        objection = file_objection(notified, on_behalf=True)
    assert objection.decide_by == datetime.date(2026, 12, 11)
    assert objection.tracking_number.startswith("OB20261120")
    assert objection.filed_on_behalf
    assert objection.status == Objection.Status.PENDING


def test_working_days_skip_weekends():
    friday = datetime.date(2026, 11, 20)
    assert services.add_working_days(friday, 1) == datetime.date(2026, 11, 23)
    assert services.add_working_days(friday, 5) == datetime.date(2026, 11, 27)
    assert services.add_working_days(datetime.date(2026, 11, 21), 1) == datetime.date(2026, 11, 23)


def test_pending_objection_blocks_publication(notified, alice, bob):
    objection = file_objection(notified)
    after_window = notified.objection_window_ends_at + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.list_entry_publish(actor=alice, entry=notified, now=after_window)
    assert "objection is pending" in exc.value.message_dict["state"][0]
    assert events(notified) == []
    # Rejected: now the entry may be published.
    services.objection_decide(
        actor=bob, objection=objection, upheld=False, reasons="清偿凭证与执行款账户不符。"
    )
    entry = services.list_entry_publish(actor=alice, entry=notified, now=after_window)
    assert entry.state == EntryState.PUBLISHED
    objection.refresh_from_db()
    assert (objection.status, objection.decided_by) == ("rejected", bob)


def test_admitted_objection_hides_entry_from_publicity_when_the_list_says_so(published, court, bob):
    assert ListEntry.objects.in_publicity().filter(pk=published.pk).exists()
    objection = file_objection(published)
    # Filed anonymously: nothing is hidden until a reviewer admits it.
    assert ListEntry.objects.in_publicity().filter(pk=published.pk).exists()
    services.objection_admit(actor=bob, objection=objection)
    assert not ListEntry.objects.in_publicity().filter(pk=published.pk).exists()
    # Still in force: holding it out of publicity does not end the legal effect.
    assert ListEntry.objects.in_force().filter(pk=published.pk).exists()

    keeps_showing = f.list_definition(court, hold_while_objection_pending=False)
    other = publish_now(
        draft(keeps_showing, f.subject("enterprise"), published.created_by),
        clerk=published.created_by,
        reviewer=published.approved_by,
    )
    services.objection_admit(actor=bob, objection=file_objection(other))
    assert ListEntry.objects.in_publicity().filter(pk=other.pk).exists()


def test_an_objection_from_the_subjects_verified_account_holds_at_once(published):
    file_objection(published, verified_subject=True)
    assert not ListEntry.objects.in_publicity().filter(pk=published.pk).exists()


def test_admission_is_due_in_two_working_days_and_flagged_when_late(published, bob, alice):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=TZ), tick=False):
        objection = file_objection(published)  # a Friday
    assert objection.admit_by == datetime.date(2026, 11, 24)
    services.list_clock_flag_overdue(now=datetime.datetime(2026, 11, 24, 18, 0, tzinfo=TZ))
    objection.refresh_from_db()
    assert not objection.admission_overdue
    services.list_clock_flag_overdue(now=datetime.datetime(2026, 11, 25, 9, 0, tzinfo=TZ))
    objection.refresh_from_db()
    assert objection.admission_overdue and objection.admitted_at is None
    with pytest.raises(PermissionDenied):
        services.objection_admit(actor=alice, objection=objection)  # clerks do not admit
    services.objection_admit(actor=bob, objection=objection)
    objection.refresh_from_db()
    assert objection.admitted_by == bob and not objection.admission_overdue
    with pytest.raises(ValidationError) as exc:
        services.objection_admit(actor=bob, objection=objection)
    assert fields_of(exc) == {"status"}


def test_a_second_objection_without_new_facts_is_refused_with_a_reason(published, bob):
    first = file_objection(published, disputed_facts="欠款已于立案前清偿。")
    with pytest.raises(ValidationError) as exc:
        file_objection(published, disputed_facts="另一个说法")
    assert first.tracking_number in exc.value.message_dict["disputed_facts"][0]
    services.objection_decide(actor=bob, objection=first, upheld=False, reasons="无清偿凭证。")
    # Same facts in other widths, spaces and punctuation: refused, naming the decided one.
    for same in ("欠款已于立案前清偿", " 欠款 已于立案前清偿！", "欠款已于立案前清偿."):
        with pytest.raises(ValidationError) as exc:
            file_objection(published, disputed_facts=same)
        message = exc.value.message_dict["disputed_facts"][0]
        assert first.tracking_number in message and "new facts" in message
    # New facts are a new objection.
    second = file_objection(published, disputed_facts="判决已于2026年3月被再审撤销。")
    assert second.status == Objection.Status.PENDING
    assert Objection.objects.filter(entry=published).count() == 2


def test_objection_upheld_ends_a_published_entry(published, bob):
    objection = file_objection(published)
    services.objection_decide(actor=bob, objection=objection, upheld=True, reasons="欠款已清偿。")
    published.refresh_from_db()
    assert (published.state, published.end_reason) == (EntryState.ENDED, "objection_upheld")
    assert events(published) == ["effect_started", "effect_ended"]
    objection.refresh_from_db()
    assert (objection.status, objection.decision_reasons) == ("upheld", "欠款已清偿。")


def test_objection_upheld_before_publication_ends_without_event(notified, bob):
    objection = file_objection(notified)
    services.objection_decide(actor=bob, objection=objection, upheld=True, reasons="主体错误。")
    notified.refresh_from_db()
    assert (notified.state, notified.end_reason) == (EntryState.ENDED, "objection_upheld")
    assert events(notified) == []


def test_objection_upheld_with_corrected_facts_keeps_the_entry(published, bob):
    objection = file_objection(published, disputed_facts="金额有误。")
    services.objection_decide(
        actor=bob,
        objection=objection,
        upheld=True,
        reasons="金额更正。",
        corrected_facts="拒不履行给付人民币五十万元的义务。",
    )
    published.refresh_from_db()
    assert published.state == EntryState.PUBLISHED
    assert published.facts == "拒不履行给付人民币五十万元的义务。"
    assert events(published) == ["effect_started"]
    # The objection is decided, so the entry is back in publicity.
    assert ListEntry.objects.in_publicity().filter(pk=published.pk).exists()


def test_objection_decision_rules(notified, alice, bob):
    objection = file_objection(notified)
    with pytest.raises(PermissionDenied):
        services.objection_decide(actor=alice, objection=objection, upheld=False, reasons="x")
    with pytest.raises(ValidationError) as exc:
        services.objection_decide(actor=bob, objection=objection, upheld=False, reasons=" ")
    assert fields_of(exc) == {"reasons"}
    services.objection_decide(actor=bob, objection=objection, upheld=False, reasons="证据不足。")
    with pytest.raises(ValidationError) as exc:
        services.objection_decide(actor=bob, objection=objection, upheld=True, reasons="再议。")
    assert fields_of(exc) == {"status"}
    objection.refresh_from_db()
    notified.refresh_from_db()
    assert objection.status == "rejected"
    assert notified.state == EntryState.NOTIFIED


def test_objection_on_another_agencys_entry_is_decided_only_by_its_owner(notified, customs):
    objection = file_objection(notified)
    with pytest.raises(PermissionDenied):
        services.objection_decide(
            actor=f.user("cr2", customs, "reviewer"), objection=objection, upheld=True, reasons="x"
        )


def test_objection_upheld_after_expiry_keeps_the_expiry(published, bob):
    """An objection decided after the entry already ended must not rewrite how it ended."""
    objection = file_objection(published)
    with time_machine.travel(
        datetime.datetime.combine(published.ends_on, datetime.time(1), tzinfo=TZ), tick=False
    ):
        services.list_clock_expire()
        services.objection_decide(actor=bob, objection=objection, upheld=True, reasons="成立。")
    published.refresh_from_db()
    assert (published.state, published.end_reason) == (EntryState.ENDED, "expired")
    assert events(published) == ["effect_started", "effect_ended"]
    objection.refresh_from_db()
    assert objection.status == "upheld"


# --- credit repair ---------------------------------------------------------------------------


def apply_for_repair(entry, conditions=("proof_of_correction", "credit_commitment")):
    return services.repair_apply(
        entry=entry,
        applicant_name="杭州恒信电子科技有限公司",
        contact="0571-88888888",
        conditions_met=conditions,
        statement="已全部履行并作出信用承诺。",
    )


def after_minimum(entry) -> datetime.datetime:
    earliest = services.repair_earliest_grant(entry)
    return datetime.datetime.combine(earliest, datetime.time(10), tzinfo=TZ)


def test_repair_only_for_published_entries_with_known_conditions(make_entry, published):
    with pytest.raises(ValidationError) as exc:
        apply_for_repair(make_entry("notified"))
    assert fields_of(exc) == {"state"}
    with pytest.raises(ValidationError) as exc:
        apply_for_repair(published, conditions=["blood_donation"])
    assert fields_of(exc) == {"conditions_met"}


def test_repair_before_the_minimum_period_is_refused(published, bob):
    application = apply_for_repair(published)
    day_before = after_minimum(published) - datetime.timedelta(days=1)
    with time_machine.travel(day_before, tick=False):
        with pytest.raises(ValidationError) as exc:
            services.repair_decide(actor=bob, application=application, grant=True, reasons="ok")
    assert fields_of(exc) == {"grant"}
    assert "minimum period" in exc.value.message_dict["grant"][0]
    published.refresh_from_db()
    assert published.state == EntryState.PUBLISHED
    application.refresh_from_db()
    assert application.status == "pending"


def test_repair_with_missing_conditions_is_refused(published, bob):
    application = apply_for_repair(published, conditions=["proof_of_correction"])
    with time_machine.travel(after_minimum(published), tick=False):
        with pytest.raises(ValidationError) as exc:
            services.repair_decide(actor=bob, application=application, grant=True, reasons="ok")
    assert "credit_commitment" in exc.value.message_dict["grant"][0]
    published.refresh_from_db()
    assert published.state == EntryState.PUBLISHED
    assert events(published) == ["effect_started"]


def test_repair_granted_ends_the_entry(published, alice, bob):
    application = apply_for_repair(published)
    with time_machine.travel(after_minimum(published), tick=False):
        with pytest.raises(PermissionDenied):
            services.repair_decide(actor=alice, application=application, grant=True, reasons="x")
        services.repair_decide(
            actor=bob, application=application, grant=True, reasons="已履行义务并完成信用承诺。"
        )
    published.refresh_from_db()
    assert (published.state, published.end_reason) == (EntryState.ENDED, "repaired")
    assert events(published) == ["effect_started", "effect_ended"]
    application.refresh_from_db()
    assert (application.status, application.decided_by) == ("upheld", bob)
    with pytest.raises(ValidationError):
        services.repair_decide(actor=bob, application=application, grant=False, reasons="again")


def test_repair_refused_keeps_the_entry_and_needs_reasons(published, bob):
    application = apply_for_repair(published)
    with pytest.raises(ValidationError) as exc:
        services.repair_decide(actor=bob, application=application, grant=False, reasons="")
    assert fields_of(exc) == {"reasons"}
    services.repair_decide(actor=bob, application=application, grant=False, reasons="材料不全")
    published.refresh_from_db()
    assert published.state == EntryState.PUBLISHED
    application.refresh_from_db()
    assert application.status == "rejected"


# --- audit history ---------------------------------------------------------------------------


def test_every_change_is_in_the_audit_history_with_who_and_why(make_entry, alice, bob):
    entry = make_entry("draft")
    entry = services.list_entry_submit(actor=alice, entry=entry, reason="材料齐全")
    services.list_entry_return(actor=bob, entry=entry, reason="决定书日期有误")
    history = list(entry.events.select_related("pgh_context").order_by("pgh_id"))
    assert [e.state for e in history] == ["draft", "submitted", "draft"]
    meta = [e.pgh_context.metadata for e in history]
    assert [(m["user"], m["username"], m["reason"]) for m in meta] == [
        (alice.pk, "alice", "entry drafted"),
        (alice.pk, "alice", "材料齐全"),
        (bob.pk, "bob", "决定书日期有误"),
    ]
    assert all(m["agency"] == alice.agency_id for m in meta)


def test_clock_changes_are_attributed_to_the_system(notified):
    with time_machine.travel(notified.objection_window_ends_at, tick=False):
        assert services.list_clock_publish_lapsed() == 1
    last = notified.events.select_related("pgh_context").order_by("-pgh_id").first()
    assert last.state == EntryState.PUBLISHED
    assert last.pgh_context.metadata["username"] == "system"
    assert last.pgh_context.metadata["user"] is None
    assert "objection window lapsed" in last.pgh_context.metadata["reason"]


# --- accountability: decisions by a named person ------------------------------------------------


def test_shared_system_users_cannot_approve_publish_or_decide(court, make_entry, company):
    system_reviewer = f.user("court-system", court, "reviewer", is_system=True)
    submitted = make_entry("submitted")
    with pytest.raises(PermissionDenied, match="named person"):
        services.list_entry_approve(actor=system_reviewer, entry=submitted)
    notified = make_entry("notified")
    far = notified.objection_window_ends_at + datetime.timedelta(days=1)
    with pytest.raises(PermissionDenied, match="named person"):
        services.list_entry_publish(actor=system_reviewer, entry=notified, now=far)
    with pytest.raises(PermissionDenied, match="named person"):
        services.list_entry_revoke(actor=system_reviewer, entry=notified, reason="错误")
    published = make_entry("published")
    objection = services.objection_file(
        entry=published, filed_by_name="张三", contact="13800000000", disputed_facts="金额有误"
    )
    with pytest.raises(PermissionDenied, match="named person"):
        services.objection_decide(
            actor=system_reviewer, objection=objection, upheld=True, reasons="成立"
        )
    submitted.refresh_from_db()
    notified.refresh_from_db()
    objection.refresh_from_db()
    assert submitted.state == EntryState.SUBMITTED
    assert notified.state == EntryState.NOTIFIED
    assert objection.status == Objection.Status.PENDING
