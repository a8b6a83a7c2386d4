from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlacklistsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blacklists"
    verbose_name = _("Lists")
