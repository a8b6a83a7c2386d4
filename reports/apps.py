from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Credit reports: the special credit report's content, its PDF, the issued-report record
    and its verification. Reads registry, lists, sanctions and filings; the portal-side apps
    (`publicity`, `my`) call it; it imports neither."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "credit reports"
