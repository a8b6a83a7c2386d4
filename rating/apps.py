from django.apps import AppConfig


class RatingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rating"
    verbose_name = "Enterprise public credit rating"
