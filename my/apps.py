from django.apps import AppConfig


class MyConfig(AppConfig):
    """The subject's own window (/my/): accounts bound to one subject, their sign-in, and
    views over the other apps' selectors and services. A portal-side app like `publicity`."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "my"
    verbose_name = "subject accounts"
