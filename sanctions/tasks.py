"""Propagation tasks: thin, idempotent, retried on transient database errors.

Each takes an id, and the service it calls checks whether the work is already done, so a
redelivered message (acks_late, worker killed) or a sweep racing a kick does no harm.
"""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from sanctions import services
from scs.messaging import enqueue_after_commit

log = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="sanctions.tasks.process_outbox_event", **RETRY)
def process_outbox_event(event_id: int) -> int:
    """A nudge after a list transition committed: apply that event in a transaction of its own
    (a clerk's single entry does not wait for a bulk load's batch to be written), then a batch
    of whatever else is pending (one nudge per publishing transaction, however many entries it
    touched). A full batch means more may wait: a continuation goes to the back of the queue,
    so other nudges are served between batches."""
    changed = services.outbox_events_process(event_ids=[event_id]).changed
    return changed + process_outbox_backlog()


@shared_task(name="sanctions.tasks.process_outbox_backlog", **RETRY)
def process_outbox_backlog() -> int:
    size = services.outbox_batch_size()
    batch = services.outbox_events_process(fill=size)
    if batch.claimed >= size:
        enqueue_after_commit("sanctions.tasks.process_outbox_backlog")
    return batch.changed


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
