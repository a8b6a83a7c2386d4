"""Nudging workers after commit. The message is a hint; the outbox table is the truth.

If the broker is down the send fails fast and is logged; the periodic outbox sweep then
delivers the work, so a Redis outage delays propagation but loses nothing.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)

# A broker that does not answer at once is not waited for.
QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


# Message priorities on Redis (kombu): a worker takes from the lists of priorities 0, 3, 6, 9
# in that order, and 0 is the default. LOW goes behind everything else waiting.
LOW_PRIORITY = 9


def send_now(task_name: str, *args, priority: int | None = None) -> bool:
    from scs.celery import app

    options = {} if priority is None else {"priority": priority}
    try:
        app.send_task(task_name, args=list(args), retry_policy=QUICK_RETRY, **options)
    except Exception:  # any broker failure: the sweep will pick the work up
        logger.warning("could not enqueue %s%s; the outbox sweep will deliver it", task_name, args)
        return False
    return True


def enqueue_after_commit(task_name: str, *args, priority: int | None = None) -> None:
    if priority is None:
        transaction.on_commit(lambda: send_now(task_name, *args))
    else:
        transaction.on_commit(lambda: send_now(task_name, *args, priority=priority))


def enqueue_once_after_commit(task_name: str, *args) -> None:
    """Like enqueue_after_commit, but one message per task per transaction: a transaction that
    publishes a thousand entries sends one nudge (with the first one's arguments), and the
    consumer drains the batch. A callback discarded with a rolled-back savepoint no longer
    counts, so the next write in the outer transaction registers a fresh one.

    The nudge of a transaction that asked more than once (a bulk load: the list clock, an
    import) goes at LOW_PRIORITY, behind the nudges of single changes (a clerk's entry), which
    workers then take first (issue 14: a clerk's entry reaches the feed within 1 s while a
    bulk load drains)."""
    pending = getattr(connection, "run_on_commit", [])
    if connection.in_atomic_block:
        for _sids, callback, *_ in pending:
            if getattr(callback, "scs_task", None) == task_name:
                callback.scs_asked += 1
                return

    def send() -> None:
        if send.scs_asked > 1:
            send_now(task_name, *args, priority=LOW_PRIORITY)
        else:
            send_now(task_name, *args)

    send.scs_task = task_name  # type: ignore[attr-defined]
    send.scs_asked = 1  # type: ignore[attr-defined]
    transaction.on_commit(send)
