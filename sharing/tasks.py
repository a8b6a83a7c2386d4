"""Periodic work of the sharing app (scheduled in scs/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import datetime

from celery import shared_task
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
