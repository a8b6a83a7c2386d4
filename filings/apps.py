from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    """What subjects file about themselves: credit commitments (信用承诺) and self-published
    information (企业自主公示). Reads the registry, writes credit records through its services;
    read by the portal and the subject's window."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "filings"
    verbose_name = _("subject filings")
