"""Thin, idempotent tasks: the outbox tables are the truth, messages are hints."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.tasks.collect_changes", acks_late=True)
def collect_changes() -> int:
    n = services.changes_collect_all(max_rounds=50)
    if n:
        from scs.messaging import send_now

        send_now("notifications.tasks.deliver_webhooks")  # a hint; the beat finds it anyway
    return n


@shared_task(name="notifications.tasks.deliver_webhooks", acks_late=True, soft_time_limit=270)
def deliver_webhooks() -> int:
    return services.deliver_due(limit=50, rounds=20)
