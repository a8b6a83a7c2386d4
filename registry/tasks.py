"""Periodic jobs of the registry (scheduled in scs/settings.py CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from registry import record_repairs


@shared_task(name="registry.tasks.flag_overdue_record_repairs", acks_late=True)
def flag_overdue_record_repairs() -> int:
    return record_repairs.record_repairs_flag_overdue()
