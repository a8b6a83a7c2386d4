"""The credit reports issued (public portal and /my/), so anyone can verify one."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_report_number() -> str:
    """CR + local date + 10 random hex digits: unguessable, sortable by day."""
    return f"CR{timezone.localdate():%Y%m%d}{secrets.token_hex(5).upper()}"


class IssuedReport(models.Model):
    """A credit report PDF as issued: its number, subject, time, language and content hash.
    The PDF itself is not kept; /reports/<number>/ confirms a copy by its SHA-256.

    A special credit report (专项信用报告) also records its period, audience, the data
    version it reflects and a snapshot of its items' fingerprints, so the verification page
    can say whether anything in it changed since it was issued."""

    class Kind(models.TextChoices):
        STANDARD = "standard", _("public credit information report")
        SPECIAL = "special", _("special credit report")

    number = models.CharField(max_length=32, unique=True, default=new_report_number)
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    generated_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the PDF as issued."))
    size = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STANDARD)
    audience = models.CharField(
        max_length=16, blank=True, help_text=_("Special reports: public or subject.")
    )
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    data_version = models.CharField(max_length=40, blank=True)
    snapshot = models.JSONField(
        default=dict, blank=True, help_text=_("Item key → fingerprint at issue (special reports).")
    )

    class Meta:
        # Moved from the portal app (issue 13, layering): the table keeps its name and rows.
        db_table = "publicity_issuedreport"
        ordering = ["-generated_at"]
        indexes = [
            # Reports issued about a subject, newest first (audit and rate questions).
            models.Index(name="issuedreport_subject_time", fields=["subject", "-generated_at"]),
        ]

    def __str__(self) -> str:
        return self.number
