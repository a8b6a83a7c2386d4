"""The list clock with frozen time: publication when the objection window lapses, expiry,
publicity lapse, overdue decisions, and the Celery task that runs them."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from blacklists import services
from blacklists.models import EntryState, ListEntry, OutboxEvent
from blacklists.tasks import run_list_clock
from tests import factories as f
from tests.blacklists.conftest import advance, draft

pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai, no DST
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=TZ)


@pytest.fixture
def notify_at(court_list, alice, bob):
    def make(when=T0, definition=None, **kw) -> ListEntry:
        definition = definition or court_list
        with at(when):
            entry = draft(
                definition,
                f.subject("enterprise"),
                alice,
                decision_date=when.date() - datetime.timedelta(days=30),
                **kw,
            )
            return advance(entry, EntryState.NOTIFIED, clerk=alice, reviewer=bob)

    return make


@pytest.fixture
def publish_at(notify_at, alice):
    def make(when, **kw) -> ListEntry:
        entry = notify_at(when - datetime.timedelta(days=16), **kw)
        with at(when):
            return services.list_entry_publish(actor=alice, entry=entry)

    return make


def objection(entry):
    return services.objection_file(
        entry=entry, filed_by_name="申请人", contact="13800000000", disputed_facts="事实有误"
    )


def kinds(entry) -> list[str]:
    return list(entry.outbox_events.values_list("kind", flat=True))


# --- publication when the window lapses --------------------------------------------------------


def test_clock_publishes_once_the_objection_window_lapses(notify_at):
    entry = notify_at(T0)
    window_end = T0 + datetime.timedelta(days=15)
    assert entry.objection_window_ends_at == window_end

    with at(window_end - MINUTE):
        assert services.list_clock_publish_lapsed() == 0
    entry.refresh_from_db()
    assert entry.state == EntryState.NOTIFIED

    with at(window_end):
        assert services.list_clock_publish_lapsed() == 1
        assert services.list_clock_publish_lapsed() == 0  # idempotent
    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED
    assert entry.published_at == window_end
    assert entry.starts_on == datetime.date(2026, 3, 17)
    assert entry.ends_on == datetime.date(2026, 9, 17)
    assert kinds(entry) == ["effect_started"]


def test_clock_leaves_entries_with_a_pending_objection(notify_at, bob):
    entry = notify_at(T0)
    pending = objection(entry)
    later = entry.objection_window_ends_at + DAY
    with at(later):
        assert services.list_clock_publish_lapsed() == 0
        services.objection_decide(actor=bob, objection=pending, upheld=False, reasons="不成立")
        assert services.list_clock_publish_lapsed() == 1
    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED
    assert entry.published_at == later


def test_clock_publishes_in_batches(notify_at):
    entries = [notify_at(T0) for _ in range(3)]
    with at(T0 + datetime.timedelta(days=16)):
        assert services.list_clock_publish_lapsed(limit=2) == 2
        assert services.list_clock_publish_lapsed(limit=2) == 1
        assert services.list_clock_publish_lapsed(limit=2) == 0
    assert {e.state for e in ListEntry.objects.filter(pk__in=[e.pk for e in entries])} == {
        EntryState.PUBLISHED
    }
    assert OutboxEvent.objects.filter(kind="effect_started").count() == 3


def test_clock_does_not_publish_entries_not_yet_notified(court_list, alice, bob):
    with at(T0):
        entry = draft(court_list, f.subject("enterprise"), alice, decision_date=T0.date())
        advance(entry, EntryState.APPROVED, clerk=alice, reviewer=bob)
    with at(T0 + datetime.timedelta(days=400)):
        assert services.list_clock_publish_lapsed() == 0
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED


# --- expiry and publicity ----------------------------------------------------------------------


def test_clock_expires_a_published_entry_on_its_end_date(publish_at):
    entry = publish_at(T0, months=6)
    assert entry.ends_on == datetime.date(2026, 9, 2)

    with at(local_midnight(entry.ends_on) - MINUTE):
        assert services.list_clock_expire() == 0
    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED

    with at(local_midnight(entry.ends_on) + MINUTE):
        assert services.list_clock_expire() == 1
        assert services.list_clock_expire() == 0
    entry.refresh_from_db()
    assert (entry.state, entry.end_reason) == (EntryState.ENDED, "expired")
    assert entry.end_note == "expired on 2026-09-02"
    assert entry.ended_at == local_midnight(entry.ends_on) + MINUTE
    assert kinds(entry) == ["effect_started", "effect_ended"]
    assert not ListEntry.objects.in_force().filter(pk=entry.pk).exists()


def test_permanent_entries_do_not_expire(publish_at):
    entry = publish_at(T0, tier="extremely_serious", months=None)
    with at(T0 + datetime.timedelta(days=20 * 365)):
        assert services.list_clock_expire() == 0
    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED
    assert kinds(entry) == ["effect_started"]


def test_publicity_lapses_before_the_listing_ends(court, alice, bob, notify_at):
    short_publicity = f.list_definition(court, publicity_months=3)
    entry = notify_at(T0 - datetime.timedelta(days=16), definition=short_publicity, months=12)
    with at(T0):
        services.list_entry_publish(actor=alice, entry=entry)
    entry.refresh_from_db()
    assert entry.publicity_ends_on == datetime.date(2026, 6, 2)
    assert entry.ends_on == datetime.date(2027, 3, 2)

    with at(local_midnight(entry.publicity_ends_on) - MINUTE):
        assert ListEntry.objects.in_publicity().filter(pk=entry.pk).exists()
    with at(local_midnight(entry.publicity_ends_on) + MINUTE):
        assert not ListEntry.objects.in_publicity().filter(pk=entry.pk).exists()
        # Out of publicity, still in force: joint measures keep applying.
        assert ListEntry.objects.in_force().filter(pk=entry.pk).exists()
        assert services.list_clock_expire() == 0


def test_private_lists_are_never_in_publicity(court, notify_at, alice):
    private = f.list_definition(court, is_public=False)
    entry = notify_at(T0 - datetime.timedelta(days=16), definition=private)
    with at(T0):
        services.list_entry_publish(actor=alice, entry=entry)
        assert ListEntry.objects.in_force().filter(pk=entry.pk).exists()
        assert not ListEntry.objects.in_publicity().filter(pk=entry.pk).exists()


# --- overdue decisions -------------------------------------------------------------------------


def test_clock_flags_overdue_objections_and_repairs(publish_at, bob):
    entry = publish_at(T0)
    with at(T0):  # Monday 2 March: 15 working days → Monday 23 March
        pending = objection(entry)
        repair = services.repair_apply(
            entry=entry,
            applicant_name="申请人",
            contact="13800000000",
            conditions_met=["proof_of_correction", "credit_commitment"],
            statement="已履行",
        )
    assert pending.decide_by == repair.decide_by == datetime.date(2026, 3, 23)

    with at(datetime.datetime(2026, 3, 23, 23, 59, tzinfo=TZ)):
        assert services.list_clock_flag_overdue() == (0, 0)
    with at(datetime.datetime(2026, 3, 24, 0, 1, tzinfo=TZ)):
        assert services.list_clock_flag_overdue() == (1, 1)
        assert services.list_clock_flag_overdue() == (0, 0)
    pending.refresh_from_db()
    repair.refresh_from_db()
    assert pending.is_overdue and repair.is_overdue

    # A late decision still counts, and clears the flag.
    with at(datetime.datetime(2026, 3, 25, 9, 0, tzinfo=TZ)):
        services.objection_decide(actor=bob, objection=pending, upheld=False, reasons="不成立")
    pending.refresh_from_db()
    assert (pending.status, pending.is_overdue) == ("rejected", False)


def test_decided_objections_are_not_flagged(notify_at, bob):
    entry = notify_at(T0)
    with at(T0):
        decided = objection(entry)
        services.objection_decide(actor=bob, objection=decided, upheld=False, reasons="不成立")
    with at(T0 + datetime.timedelta(days=60)):
        assert services.list_clock_flag_overdue() == (0, 0)


# --- the Celery task ---------------------------------------------------------------------------


def test_run_list_clock_task_does_all_three(notify_at, publish_at):
    tick = datetime.datetime(2026, 9, 3, 10, 0, tzinfo=TZ)
    lapsed = notify_at(tick - datetime.timedelta(days=15, hours=1))
    expiring = publish_at(T0, months=6)  # ends 2026-09-02
    with at(tick - datetime.timedelta(days=30)):
        late = objection(notify_at(tick - datetime.timedelta(days=31)))

    with at(tick):
        result = run_list_clock.apply().get()
    assert result == {
        "published": 1,
        "expired": 1,
        "overdue_objections": 1,
        "overdue_repairs": 0,
    }
    lapsed.refresh_from_db()
    expiring.refresh_from_db()
    late.refresh_from_db()
    assert lapsed.state == EntryState.PUBLISHED
    assert (expiring.state, expiring.end_reason) == (EntryState.ENDED, "expired")
    assert late.is_overdue
    # The entry with the overdue objection is still held back from publication.
    assert late.entry.state == EntryState.NOTIFIED

    # Run again (a doubled beat): nothing more happens.
    with at(tick + MINUTE):
        assert run_list_clock() == {
            "published": 0,
            "expired": 0,
            "overdue_objections": 0,
            "overdue_repairs": 0,
        }
    assert OutboxEvent.objects.count() == 3  # lapsed start, expiring start + end
