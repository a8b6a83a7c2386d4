from celery import shared_task

from rating import services


@shared_task(name="rating.tasks.recompute_changed", acks_late=True)
def recompute_changed() -> int:
    return services.recompute_changed()


@shared_task(name="rating.tasks.recompute_stale", acks_late=True, soft_time_limit=1800)
def recompute_stale() -> int:
    return services.recompute_stale()
