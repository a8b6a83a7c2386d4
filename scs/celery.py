import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")

app = Celery("scs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _mask_resident_ids(logger=None, **kwargs):
    """Celery sets up its own handlers: they mask resident IDs too (issue 9 §3)."""
    import logging

    from scs.logging import install_on

    install_on(logger or logging.getLogger())
    install_on(logging.getLogger())
