"""Set-based consumption of the lists' outbox: a batch of events gives exactly what applying
them one by one gives (same sanctions, same effective times, same feed order per entry), and a
transaction that publishes many entries sends one nudge."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from blacklists import services as lists
from blacklists.models import OutboxEvent
from sanctions import services
from sanctions.models import ConsumedOutboxEvent, Sanction, SanctionEvent
from scs.messaging import LOW_PRIORITY
from tests import factories as f
from tests.sanctions.conftest import draft, publish

pytestmark = pytest.mark.django_db


def _history():
    return sorted(
        SanctionEvent.objects.values_list(
            "sanction__entry_id", "sanction__measure__code", "sanction__target_id", "kind", "at"
        )
    )


def test_a_batch_equals_one_by_one_including_ends_before_starts(scene, company, person):
    f.role(company, person)
    subjects = [company] + [f.subject() for _ in range(5)]
    entries = [publish(scene["list"], s, scene["clerk"], scene["reviewer"]) for s in subjects]
    # Two entries end before anything was consumed: their start must be applied first.
    for entry in entries[:2]:
        lists.list_entry_revoke(actor=scene["reviewer"], entry=entry, reason="决定被撤销")
    events = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True))

    with transaction.atomic():
        # One by one, newest first (ends before their starts), then rolled back.
        for event_id in reversed(events):
            services.outbox_event_process(event_id=event_id)
        one_by_one = _history()
        transaction.set_rollback(True)

    batch = services.outbox_events_process(fill=1000)
    assert batch.claimed == len(events) == 8
    assert _history() == one_by_one
    # Each entry's own publication time, not the batch's: the as-of history stays exact.
    for entry in entries[2:]:
        entry.refresh_from_db()
        times = set(Sanction.objects.filter(entry=entry).values_list("imposed_at", flat=True))
        assert times == {entry.published_at}
    # Within an entry, imposed precedes lifted in feed order.
    for entry in entries[:2]:
        kinds = list(
            SanctionEvent.objects.filter(sanction__entry=entry)
            .order_by("id")
            .values_list("kind", flat=True)
        )
        assert kinds.index("lifted") > max(i for i, k in enumerate(kinds) if k == "imposed")
    assert set(
        Sanction.objects.filter(entry__in=entries[:2]).values_list("status", "lift_reason")
    ) == {("lifted", "revoked")}
    # Every event claimed once; a second pass finds nothing.
    assert ConsumedOutboxEvent.objects.count() == len(events)
    assert services.outbox_events_process(fill=1000).claimed == 0
    assert services.reconcile(fix=False).total == 0


def test_fill_takes_the_named_event_first_and_stops_at_the_limit(scene):
    entries = [
        publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"]) for _ in range(5)
    ]
    newest = OutboxEvent.objects.get(entry=entries[-1])
    batch = services.outbox_events_process(event_ids=[newest.pk], fill=2)
    assert batch.claimed == 3  # the named one plus the two oldest pending
    consumed = set(ConsumedOutboxEvent.objects.values_list("event_id", flat=True))
    oldest_two = set(OutboxEvent.objects.order_by("id").values_list("id", flat=True)[:2])
    assert consumed == oldest_two | {newest.pk}
    assert len(services.pending_outbox_events()) == 2


def test_a_clock_run_publishing_many_entries_sends_one_nudge(
    scene, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "scs.messaging.send_now",
        lambda task, *args, priority=None: sent.append((task, priority)),
    )
    for _ in range(4):
        entry = draft(scene["list"], f.subject(), scene["clerk"])
        lists.list_entry_submit(actor=scene["clerk"], entry=entry)
        lists.list_entry_approve(actor=scene["reviewer"], entry=entry)
        lists.list_entry_notify(
            actor=scene["clerk"], entry=entry, via="electronic", reference="N-1"
        )
    later = timezone.now() + datetime.timedelta(days=scene["list"].objection_window_days + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert lists.list_clock_publish_lapsed(now=later) == 4
    nudges = [(t, p) for t, p in sent if t == "sanctions.tasks.process_outbox_event"]
    # One nudge, behind single entries' nudges: it names four events (a bulk load).
    assert nudges == [("sanctions.tasks.process_outbox_event", LOW_PRIORITY)]
    assert OutboxEvent.objects.count() == 4


def test_a_rolled_back_savepoint_does_not_swallow_the_next_nudge(
    scene, company, django_capture_on_commit_callbacks, monkeypatch
):
    from scs.messaging import enqueue_once_after_commit

    sent = []
    monkeypatch.setattr(
        "scs.messaging.send_now",
        lambda task, *args, priority=None: sent.append((task, args, priority)),
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                enqueue_once_after_commit("t", 1)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        enqueue_once_after_commit("t", 2)
        enqueue_once_after_commit("t", 3)
    assert sent == [("t", (2,), LOW_PRIORITY)]  # asked twice: a bulk transaction's nudge
    sent.clear()
    # (Another task name: the test's own transaction still lists the first callback.)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_once_after_commit("u", 4)
    assert sent == [("u", (4,), None)]  # a single change's nudge keeps the default priority


def test_one_backlog_chain_applies_everything_and_ends(
    scene, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from sanctions import tasks

    settings.SANCTIONS_OUTBOX_BATCH = 2
    settings.SANCTIONS_OUTBOX_TASK_SECONDS = 0  # one batch per task: the chain is visible
    cache.delete(tasks.BACKLOG_FLAG)
    sent = []
    monkeypatch.setattr(
        "scs.messaging.send_now",
        lambda task, *args, priority=None: sent.append((task, priority)),
    )
    for _ in range(6):
        publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"])
    first, second = OutboxEvent.objects.order_by("id").values_list("id", flat=True)[:2]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_outbox_event(first)  # its event, then a full batch: chain continues
        tasks.process_outbox_event(second)  # already applied; the chain is running: no second
    # The chain's batches queue behind clerks' nudges (low priority).
    assert sent == [("sanctions.tasks.process_outbox_backlog", LOW_PRIORITY)]
    while sent:
        sent.pop()
        with django_capture_on_commit_callbacks(execute=True):
            tasks.process_outbox_backlog()
    assert services.pending_outbox_events() == []
    assert cache.get(tasks.BACKLOG_FLAG) is None  # the chain ended
    assert services.reconcile(fix=False).total == 0


def test_a_backlog_task_runs_batches_back_to_back_within_its_budget(
    scene, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from sanctions import tasks

    settings.SANCTIONS_OUTBOX_BATCH = settings.SANCTIONS_OUTBOX_BATCH_MAX = 2
    settings.SANCTIONS_OUTBOX_TASK_SECONDS = 3600
    cache.delete(tasks.BACKLOG_FLAG)
    sent = []
    monkeypatch.setattr(
        "scs.messaging.send_now", lambda task, *args, priority=None: sent.append(task)
    )
    for _ in range(7):
        publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"])
    batches = []
    process = services.outbox_events_process
    monkeypatch.setattr(
        services,
        "outbox_events_process",
        lambda **kw: batches.append(kw) or process(**kw),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.process_outbox_backlog() > 0
    assert len(batches) == 4  # 2 + 2 + 2 + 1: each its own transaction, one task
    assert sent == []  # no message: the last, short batch ended the chain
    assert services.pending_outbox_events() == []
    assert services.reconcile(fix=False).total == 0


def test_the_backlog_batch_grows_towards_its_duration_and_stays_bounded(settings):
    settings.SANCTIONS_OUTBOX_BATCH = 100
    settings.SANCTIONS_OUTBOX_BATCH_SECONDS = 0.3
    settings.SANCTIONS_OUTBOX_BATCH_MAX = 2000
    # A quick batch doubles at most; a slow one halves at most, never below the start.
    assert services.outbox_next_batch_size(100, 0.01) == 200
    assert services.outbox_next_batch_size(400, 0.4) == 300
    assert services.outbox_next_batch_size(400, 5.0) == 200
    assert services.outbox_next_batch_size(150, 5.0) == 100
    assert services.outbox_next_batch_size(1500, 0.0) == 2000
    # Settings narrower than the start: the start wins.
    settings.SANCTIONS_OUTBOX_BATCH_MAX = 50
    assert services.outbox_next_batch_size(100, 0.01) == 100
