"""The portal owns one table: the credit reports it issued, so anyone can verify one."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_report_number() -> str:
    """CR + local date + 10 random hex digits: unguessable, sortable by day."""
    return f"CR{timezone.localdate():%Y%m%d}{secrets.token_hex(5).upper()}"


class IssuedReport(models.Model):
    """A credit report PDF as issued: its number, subject, time, language and content hash.
    The PDF itself is not kept; /reports/<number>/ confirms a copy by its SHA-256."""

    number = models.CharField(max_length=32, unique=True, default=new_report_number)
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    generated_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the PDF as issued."))
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-generated_at"]
        indexes = [
            # Reports issued about a subject, newest first (audit and rate questions).
            models.Index(name="issuedreport_subject_time", fields=["subject", "-generated_at"]),
        ]

    def __str__(self) -> str:
        return self.number
