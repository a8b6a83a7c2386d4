"""Periodic jobs of the lists app. Small, idempotent: each claims rows with SKIP LOCKED."""

from celery import shared_task

from blacklists import services


@shared_task(name="blacklists.tasks.run_list_clock", acks_late=True)
def run_list_clock() -> dict:
    published = services.list_clock_publish_lapsed()
    expired = services.list_clock_expire()
    overdue_objections, overdue_repairs = services.list_clock_flag_overdue()
    return {
        "published": published,
        "expired": expired,
        "overdue_objections": overdue_objections,
        "overdue_repairs": overdue_repairs,
    }


@shared_task(name="blacklists.tasks.detect_watch_candidates", acks_late=True)
def detect_watch_candidates() -> int:
    from blacklists.models import ListDefinition

    return sum(
        services.watch_candidates_detect(watch_list=watch_list)
        for watch_list in ListDefinition.objects.filter(is_derived=True, is_active=True)
    )


# Import jobs' tasks live beside their service (blacklists/import_jobs.py); importing the
# module registers them with the worker.
from blacklists import import_jobs  # noqa: E402, F401
