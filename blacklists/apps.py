from django.apps import AppConfig


class BlacklistsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blacklists"
