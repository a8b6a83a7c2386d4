from celery import shared_task

from opendata import export


@shared_task(soft_time_limit=3000, time_limit=3600)
def export_open_data() -> str | None:
    """Nightly open data version. A run that finds another export running does nothing."""
    try:
        return export.build_version()["version"]
    except export.ExportBusy:
        return None
