from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ScsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scs"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from scs import checks  # noqa: F401 - registers the deploy checks


class PlatformAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the platform's site (work queues, labelled autocomplete)."""

    default = False  # named in INSTALLED_APPS; the "scs" entry still means ScsConfig
    default_site = "scs.admin_site.PlatformAdminSite"
