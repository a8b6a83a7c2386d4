import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")

app = Celery("scs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    """Django's rule for persistent connections, as around a request: close the connection if
    it is older than CONN_MAX_AGE, failed its health check or saw an error; keep it
    otherwise. Celery's Django fixup would close every connection before and after each task
    (settings.CELERY_DB_REUSE_MAX turns that off): a new PostgreSQL backend per task, whose
    first statements rebuild the catalogue caches of every table, partition and index they
    touch (issue 14: each outbox batch, and each clerk's nudge, started cold)."""
    from django.db import close_old_connections

    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # run in the caller's process and transaction (tests, eager mode)
    close_old_connections()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _mask_resident_ids(logger=None, **kwargs):
    """Celery sets up its own handlers: they mask resident IDs too (issue 9 §3)."""
    import logging

    from scs.logging import install_on

    install_on(logger or logging.getLogger())
    install_on(logging.getLogger())
