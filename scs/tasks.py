"""Periodic jobs of the shared kernel (declared in settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from scs import partitioning

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=1800, time_limit=1900)
def maintain_partitions() -> dict[str, dict]:
    """Daily: partitions created ahead, default partitions emptied, retention applied."""
    report = partitioning.maintain()
    for table, done in report.items():
        if done["moved"] or done["dropped"] or done["created"]:
            logger.info("partitions of %s: %s", table, done)
    return report
