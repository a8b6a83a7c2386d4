from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    """Information sharing: collection API, consultations, consent and the access log."""

    name = "sharing"
    verbose_name = _("information sharing")

    def ready(self) -> None:
        from scs import consultations
        from sharing import services

        consultations.install_writer(
            services.consultation_log, many=services.consultation_log_per_subject
        )
