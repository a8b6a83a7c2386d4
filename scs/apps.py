from django.apps import AppConfig


class ScsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scs"
    verbose_name = "Platform"

    def ready(self) -> None:
        from scs import schema  # noqa: F401 - registers the OpenAPI auth extension
