"""The transactional outbox: exactly one event per effective start or end of an entry, also when
transitions of one entry race each other in separate transactions (real threads, each with its
own database connection)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from blacklists import services
from blacklists.models import EntryState, OutboxEvent
from tests.blacklists.conftest import in_thread, wait_until_blocked_on_lock

TZ = datetime.timezone(datetime.timedelta(hours=8))
SAFETY = 30  # seconds; only a guard against a hung test, never part of an assertion


def kinds(entry) -> list[str]:
    return list(OutboxEvent.objects.filter(entry=entry).values_list("kind", flat=True))


# --- one event per start and end -------------------------------------------------------------


@pytest.mark.django_db
def test_one_event_per_start_and_end_over_a_lifecycle(published, bob):
    started = OutboxEvent.objects.get(entry=published)
    assert (started.kind, started.occurred_at) == ("effect_started", published.published_at)
    services.list_entry_revoke(actor=bob, entry=published, reason="决定被撤销")
    assert kinds(published) == ["effect_started", "effect_ended"]
    ended = OutboxEvent.objects.get(entry=published, kind="effect_ended")
    published.refresh_from_db()
    assert ended.occurred_at == published.ended_at


@pytest.mark.django_db
def test_entries_that_never_took_effect_write_no_events(make_entry, bob):
    for state in ["draft", "submitted", "approved", "notified"]:
        services.list_entry_revoke(actor=bob, entry=make_entry(state), reason="错误")
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_database_refuses_a_second_event_of_a_kind(published):
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxEvent.objects.create(entry=published, kind="effect_started")
    assert OutboxEvent.objects.filter(entry=published).count() == 1


# --- concurrent transitions ------------------------------------------------------------------

threaded = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def restore_db_after_module(django_db_blocker):
    """Transactional tests empty the database when they end. Put back what the migrations
    loaded (divisions, content types) so tests that run later in the session find it."""
    yield
    with django_db_blocker.unblock():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def race(settings, restore_db_after_module):
    # No broker nudges from these tests: the outbox rows are what is under test.
    settings.LIST_OUTBOX_CONSUMER_TASK = None


def outcomes(*pairs) -> list[tuple[str, object]]:
    for thread, _ in pairs:
        thread.join(SAFETY)
        assert not thread.is_alive()
    return [outcome["result"] for _, outcome in pairs]


@threaded
def test_two_clerks_publishing_the_same_entry_once(race, notified, alice):
    after_window = notified.objection_window_ends_at + datetime.timedelta(minutes=1)
    start = threading.Barrier(2)

    def publish():
        start.wait(SAFETY)
        return services.list_entry_publish(actor=alice, entry=notified, now=after_window)

    results = outcomes(in_thread(publish), in_thread(publish))
    oks = [r for status, r in results if status == "ok"]
    errors = [r for status, r in results if status == "error"]
    assert len(oks) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert "state" in errors[0].message_dict
    assert kinds(notified) == ["effect_started"]
    notified.refresh_from_db()
    assert notified.state == EntryState.PUBLISHED


@threaded
def test_clerk_and_clock_racing_to_publish_write_one_event(race, notified, alice):
    after_window = notified.objection_window_ends_at + datetime.timedelta(minutes=1)
    start = threading.Barrier(2)

    def clerk():
        start.wait(SAFETY)
        return services.list_entry_publish(actor=alice, entry=notified, now=after_window)

    def clock():
        start.wait(SAFETY)
        return services.list_clock_publish_lapsed(now=after_window)

    (clerk_status, clerk_result), (clock_status, published_by_clock) = outcomes(
        in_thread(clerk), in_thread(clock)
    )
    assert clock_status == "ok"
    if clerk_status == "ok":
        assert published_by_clock == 0
    else:
        assert isinstance(clerk_result, ValidationError)
        assert published_by_clock == 1
    assert kinds(notified) == ["effect_started"]


@threaded
def test_revoke_loses_to_the_clock_expiring_the_entry(race, published, bob):
    """The clock holds the entry; the reviewer's revocation waits on the row lock and then
    finds the entry already ended."""
    expiry = datetime.datetime.combine(published.ends_on, datetime.time(0, 1), tzinfo=TZ)
    locked, release = threading.Event(), threading.Event()

    def clock_tick_holding_its_transaction():
        with transaction.atomic():
            done = services.list_clock_expire(now=expiry)
            locked.set()
            release.wait(SAFETY)
        return done

    clock = in_thread(clock_tick_holding_its_transaction)
    assert locked.wait(SAFETY)
    revoke = in_thread(services.list_entry_revoke, actor=bob, entry=published, reason="撤销")
    assert wait_until_blocked_on_lock()
    release.set()
    (clock_status, expired), (revoke_status, error) = outcomes(clock, revoke)

    assert (clock_status, expired) == ("ok", 1)
    assert revoke_status == "error" and isinstance(error, ValidationError)
    assert "state" in error.message_dict
    published.refresh_from_db()
    assert (published.state, published.end_reason) == (EntryState.ENDED, "expired")
    assert kinds(published) == ["effect_started", "effect_ended"]


@threaded
def test_clock_skips_an_entry_being_revoked(race, published, bob):
    """The reviewer holds the entry; the clock does not wait for it (SKIP LOCKED), and on
    the next tick finds it ended: one end event, with the reviewer's reason."""
    expiry = datetime.datetime.combine(published.ends_on, datetime.time(0, 1), tzinfo=TZ)
    locked, release = threading.Event(), threading.Event()

    def revoke_holding_its_transaction():
        with transaction.atomic():
            entry = services.list_entry_revoke(actor=bob, entry=published, reason="法院裁定")
            locked.set()
            release.wait(SAFETY)
        return entry

    revoke = in_thread(revoke_holding_its_transaction)
    assert locked.wait(SAFETY)
    assert services.list_clock_expire(now=expiry) == 0
    release.set()
    ((revoke_status, _),) = outcomes(revoke)
    assert revoke_status == "ok"
    assert services.list_clock_expire(now=expiry) == 0
    published.refresh_from_db()
    assert (published.state, published.end_reason) == (EntryState.ENDED, "revoked")
    assert kinds(published) == ["effect_started", "effect_ended"]


@threaded
def test_clock_is_not_held_up_by_work_on_another_entry_of_the_same_list(race, make_entry, alice):
    """A clerk editing one draft must not stop the clock publishing a different entry of the
    same list (the row lock is on the entry, not on its list or tier)."""
    editing = make_entry("draft")
    lapsed = make_entry("notified")
    after_window = lapsed.objection_window_ends_at + datetime.timedelta(minutes=1)
    locked, release = threading.Event(), threading.Event()

    def clerk_editing():
        with transaction.atomic():
            services.list_entry_update(actor=alice, entry=editing, facts="补充事实")
            locked.set()
            release.wait(SAFETY)

    clerk = in_thread(clerk_editing)
    assert locked.wait(SAFETY)
    try:
        published = services.list_clock_publish_lapsed(now=after_window)
    finally:
        release.set()
        outcomes(clerk)
    assert published == 1
    assert kinds(lapsed) == ["effect_started"]


@threaded
def test_two_reviewers_deciding_one_objection(race, published, bob, bea):
    objection = services.objection_file(
        entry=published, filed_by_name="申请人", contact="138", disputed_facts="已清偿"
    )
    start = threading.Barrier(2)

    def decide(reviewer):
        start.wait(SAFETY)
        return services.objection_decide(
            actor=reviewer, objection=objection, upheld=True, reasons=f"{reviewer} 认为成立"
        )

    results = outcomes(in_thread(decide, bob), in_thread(decide, bea))
    assert sorted(status for status, _ in results) == ["error", "ok"]
    error = next(r for status, r in results if status == "error")
    assert isinstance(error, ValidationError) and "status" in error.message_dict
    published.refresh_from_db()
    assert (published.state, published.end_reason) == (EntryState.ENDED, "objection_upheld")
    assert kinds(published) == ["effect_started", "effect_ended"]
