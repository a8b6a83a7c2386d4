"""Nudging workers after commit. The message is a hint; the outbox table is the truth.

If the broker is down the send fails fast and is logged; the periodic outbox sweep then
delivers the work, so a Redis outage delays propagation but loses nothing.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)

# A broker that does not answer at once is not waited for.
QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def send_now(task_name: str, *args) -> bool:
    from scs.celery import app

    try:
        app.send_task(task_name, args=list(args), retry_policy=QUICK_RETRY)
    except Exception:  # any broker failure: the sweep will pick the work up
        logger.warning("could not enqueue %s%s; the outbox sweep will deliver it", task_name, args)
        return False
    return True


def enqueue_after_commit(task_name: str, *args) -> None:
    transaction.on_commit(lambda: send_now(task_name, *args))


def enqueue_once_after_commit(task_name: str, *args) -> None:
    """Like enqueue_after_commit, but one message per task per transaction: a transaction that
    publishes a thousand entries sends one nudge (with the first one's arguments), and the
    consumer drains the batch. A callback discarded with a rolled-back savepoint no longer
    counts, so the next write in the outer transaction registers a fresh one."""
    pending = getattr(connection, "run_on_commit", [])
    if connection.in_atomic_block and any(
        getattr(callback, "scs_task", None) == task_name for _sids, callback, *_ in pending
    ):
        return

    def send() -> None:
        send_now(task_name, *args)

    send.scs_task = task_name  # type: ignore[attr-defined]
    transaction.on_commit(send)
