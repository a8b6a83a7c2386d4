from django.apps import AppConfig


class SharingConfig(AppConfig):
    """Information sharing: collection API, consultations, consent and the access log."""

    name = "sharing"
    verbose_name = "information sharing"

    def ready(self) -> None:
        from scs import consultations
        from sharing import services

        consultations.install_writer(
            services.consultation_log, many=services.consultation_log_per_subject
        )
