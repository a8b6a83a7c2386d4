"""Periodic work of the sharing app (scheduled in scs/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from sharing import services


@shared_task(acks_late=True)
def flag_unusual_use(day: str | None = None) -> int:
    """Flag yesterday's unusual consultations (idempotent: one flag per user, day and kind)."""
    when = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    return services.usage_flags_detect(day=when)


@shared_task(
    name="sharing.tasks.deliver_record_change",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
    acks_late=True,
)
def deliver_record_change(change_id: int) -> int:
    """The nudge after a correction, withdrawal or repair committed: put it into the feed of
    every agency holding a copy (exactly once; a redelivered message writes nothing)."""
    return services.record_changes_deliver(change_ids=[change_id])


@shared_task(name="sharing.tasks.sweep_record_changes", acks_late=True)
def sweep_record_changes(limit: int = 1000) -> int:
    """Deliver whatever a lost nudge, a dead worker or a Redis outage left pending."""
    return services.record_changes_deliver(limit=limit)
