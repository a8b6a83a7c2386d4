"""Propagation tasks: thin, idempotent, retried on transient database errors.

Each takes an id, and the service it calls checks whether the work is already done, so a
redelivered message (acks_late, worker killed) or a sweep racing a kick does no harm.
"""

import logging
import time

from celery import shared_task, signals
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from sanctions import services
from scs.messaging import LOW_PRIORITY, enqueue_after_commit

log = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "acks_late": True,
}


# At most one chain of backlog batches at a time (a flag in the cache, with a TTL in case its
# worker dies; the 30 s sweep covers that gap). Several chains would only queue behind each
# other on the feed lock and push clerks' nudges further back in the queue.
BACKLOG_FLAG = "sanctions:outbox-backlog-chain"
BACKLOG_FLAG_TTL = 120


@signals.worker_init.connect
def _warm_up_pool_processes(**kwargs) -> None:
    """Each pool process plans the outbox batch's statements once it has started. Connected
    from worker_init, so that it runs after the Django fixup's own worker_process_init
    handler, which closes the connections a process inherited (and would close ours)."""
    signals.worker_process_init.connect(_warm_up, weak=False)


def _warm_up(**kwargs) -> None:
    try:
        services.outbox_warm_up()
    except Exception:  # a warm-up that fails costs the first batch its speed, nothing more
        log.warning("outbox warm-up failed", exc_info=True)


@shared_task(name="sanctions.tasks.process_outbox_event", **RETRY)
def process_outbox_event(event_id: int) -> int:
    """A nudge after a list transition committed: apply that event in a transaction of its own
    (a clerk's single entry waits for at most the batch holding the feed lock), then start a
    chain of backlog batches unless one is running (one nudge per publishing transaction names
    only its first event; the chain applies the rest)."""
    changed = services.outbox_events_process(event_ids=[event_id]).changed
    if cache.add(BACKLOG_FLAG, 1, timeout=BACKLOG_FLAG_TTL):
        changed += _backlog_batch()
    return changed


@shared_task(name="sanctions.tasks.process_outbox_backlog", **RETRY)
def process_outbox_backlog(size: int | None = None) -> int:
    """One batch of the backlog chain; `size` is the chain's current batch size (events),
    none for the configured starting size."""
    return _backlog_batch(size)


def _backlog_batch(size: int | None = None) -> int:
    """Batches of pending events for up to SANCTIONS_OUTBOX_TASK_SECONDS, each its own
    transaction, the next sized to take about SANCTIONS_OUTBOX_BATCH_SECONDS
    (`services.outbox_next_batch_size`); past the budget, the chain re-enqueues itself at the
    back of the queue; a short batch ends it. The chain's messages go at low priority: a
    clerk's nudge sent meanwhile is taken by the next free process before the chain's next
    message, and waits for at most the batch holding the feed lock (issue 14: p95 < 1 s during
    a bulk load). After ending it, look once more: an event committed after the batch's claim,
    whose nudge saw the chain still running, is not left for the sweep."""
    size = size or services.outbox_batch_size()
    budget = float(getattr(settings, "SANCTIONS_OUTBOX_TASK_SECONDS", 2.0))
    task_started = time.monotonic()
    changed = 0
    while True:
        started = time.monotonic()
        batch = services.outbox_events_process(fill=size)
        changed += batch.changed
        if batch.claimed < size:
            break
        cache.touch(BACKLOG_FLAG, BACKLOG_FLAG_TTL)
        size = services.outbox_next_batch_size(size, time.monotonic() - started)
        # Each batch commits on its own and releases the feed lock, which a waiting nudge
        # then takes first (PostgreSQL queues our next request behind it); the task goes on
        # with the next batch, without a round trip through the broker, until its budget.
        if time.monotonic() - task_started >= budget:
            enqueue_after_commit(
                "sanctions.tasks.process_outbox_backlog", size, priority=LOW_PRIORITY
            )
            return changed
    cache.delete(BACKLOG_FLAG)
    if services.pending_outbox_events(1) and cache.add(BACKLOG_FLAG, 1, BACKLOG_FLAG_TTL):
        enqueue_after_commit("sanctions.tasks.process_outbox_backlog", priority=LOW_PRIORITY)
    return changed


@shared_task(name="sanctions.tasks.process_memorandum_change", **RETRY)
def process_memorandum_change(change_id: int) -> tuple[int, int]:
    return services.memorandum_change_process(change_id=change_id)


@shared_task(name="sanctions.tasks.sweep_outbox", acks_late=True)
def sweep_outbox(limit: int = 1000) -> dict:
    """Apply whatever a lost message, a dead worker or a Redis outage left pending."""
    from sanctions.models import MemorandumChange

    events = 0
    while events < limit:  # bounded: the next sweep takes the rest
        batch = services.outbox_events_process(fill=min(services.outbox_batch_size(), limit))
        if not batch.claimed:
            break
        events += batch.claimed
    # Stopped at its bound with work left (a bulk load whose chain died with its worker):
    # restart the backlog chain rather than leave 1 000 events per 30 s to the next sweeps.
    if events >= limit and cache.add(BACKLOG_FLAG, 1, timeout=BACKLOG_FLAG_TTL):
        enqueue_after_commit("sanctions.tasks.process_outbox_backlog", priority=LOW_PRIORITY)
    boundary = services.memoranda_boundary_changes(timezone.localdate())
    changes = list(
        MemorandumChange.objects.filter(processed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for change_id in changes:
        services.memorandum_change_process(change_id=change_id)
    return {"events": events, "changes": len(changes), "boundary": boundary}


@shared_task(name="sanctions.tasks.reconcile", acks_late=True)
def reconcile() -> dict:
    found = services.reconcile(fix=True)
    if found.total:
        log.warning(
            "reconciliation repaired drift: %s missing, %s extra", found.missing, found.extra
        )
    return {"missing": found.missing, "extra": found.extra}
