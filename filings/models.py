"""Credit commitments and self-published information (seed 001: commitments published on
NECIPS; GSXT: every enterprise keeps its contact details and annual report up to date)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@pghistory.track()
class CommitmentType(models.Model):
    """A published kind of commitment, defined by the platform operator."""

    class Purpose(models.TextChoices):
        GENERAL = "general", _("general")
        LICENSING = "licensing", _("licensing fast track (告知承诺)")
        REPAIR = "repair", _("credit repair")

    code = models.SlugField(max_length=32, unique=True, verbose_name=_("code"))
    purpose = models.CharField(max_length=16, choices=Purpose.choices, verbose_name=_("use"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    name_en = models.CharField(max_length=200, blank=True, verbose_name=_("English name"))
    text = models.TextField(
        help_text=_("The promise the subject signs, word for word."),
        verbose_name=_("text of the commitment"),
    )
    legal_basis = models.CharField(max_length=300, verbose_name=_("legal basis"))
    breach_consequence = models.TextField(
        help_text=_("The legal consequence of a broken commitment, as the record states it."),
        verbose_name=_("consequence of a breach"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("commitment type")
        verbose_name_plural = _("commitment types")
        ordering = ["purpose", "code"]

    def __str__(self) -> str:
        return self.name


class CommitmentQuerySet(models.QuerySet):
    def published(self) -> CommitmentQuerySet:
        """Shown on the subject's public page (all but withdrawn)."""
        return self.exclude(status=CreditCommitment.Status.WITHDRAWN)


@pghistory.track()
class CreditCommitment(models.Model):
    """A commitment signed by a subject; an agency later records it honoured or broken. A
    broken commitment is itself a credit record (`breach_record`) with its consequence."""

    class Status(models.TextChoices):
        SIGNED = "signed", _("signed")
        HONOURED = "honoured", _("honoured")
        BROKEN = "broken", _("broken")
        WITHDRAWN = "withdrawn", _("withdrawn")

    subject = models.ForeignKey(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name=_("subject"),
    )
    type = models.ForeignKey(
        CommitmentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commitment type"),
    )
    text = models.TextField(
        help_text=_("The promise as signed (the type's text may change)."),
        verbose_name=_("text of the commitment"),
    )
    signed_at = models.DateTimeField(default=timezone.now, verbose_name=_("signed at"))
    signed_by = models.CharField(
        max_length=200,
        help_text=_("Who signed for the subject (its account, or the counter)."),
        verbose_name=_("signed by"),
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.SIGNED, verbose_name=_("status")
    )
    outcome_agency = models.ForeignKey(
        "registry.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agency that recorded the outcome"),
    )
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("outcome recorded by"),
    )
    outcome_at = models.DateTimeField(null=True, blank=True, verbose_name=_("outcome recorded at"))
    outcome_note = models.TextField(blank=True, verbose_name=_("note on the outcome"))
    breach_record = models.OneToOneField(
        "registry.CreditRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("breach record"),
    )

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit commitment")
        verbose_name_plural = _("credit commitments")
        ordering = ["-signed_at"]
        indexes = [
            # Subject page and /my/: a subject's commitments, newest first.
            models.Index(name="commitment_subject_signed", fields=["subject", "-signed_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="commitment_broken_has_record",
                condition=~Q(status="broken") | Q(breach_record__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({self.subject_id}, {self.status})"


class OperatingStatus(models.TextChoices):
    OPERATING = "operating", _("operating")
    SUSPENDED = "suspended", _("suspended")
    LIQUIDATING = "liquidating", _("in liquidation")
    CLOSED = "closed", _("closed")


@pghistory.track()
class SelfPublishedInfo(models.Model):
    """What an organisation publishes about itself (GSXT's annual-report fields): contact,
    number of employees, operating status, website. The subject vouches for it; the page
    says so. Every change is a SelfPublishedChange row, shown with the information."""

    FIELDS = ("contact_phone", "contact_email", "employees", "operating_status", "website")

    subject = models.OneToOneField(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="self_info",
        verbose_name=_("subject"),
    )
    contact_phone = models.CharField(max_length=40, blank=True, verbose_name=_("contact phone"))
    contact_email = models.EmailField(blank=True, verbose_name=_("contact email"))
    employees = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("number of employees")
    )
    operating_status = models.CharField(
        max_length=16,
        choices=OperatingStatus.choices,
        default=OperatingStatus.OPERATING,
        verbose_name=_("operating status"),
    )
    website = models.URLField(blank=True, max_length=300, verbose_name=_("website"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("self-published information (annual report)")
        verbose_name_plural = _("self-published information (annual reports)")

    def __str__(self) -> str:
        return f"self-published information of {self.subject_id}"


class SelfPublishedChange(models.Model):
    """One field of self-published information changed: append-only, shown publicly."""

    info = models.ForeignKey(
        SelfPublishedInfo,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("self-published information"),
    )
    field = models.CharField(max_length=32, verbose_name=_("field"))
    before = models.CharField(max_length=300, blank=True, verbose_name=_("before"))
    after = models.CharField(max_length=300, blank=True, verbose_name=_("after"))
    changed_at = models.DateTimeField(default=timezone.now, verbose_name=_("changed at"))
    changed_by = models.CharField(max_length=200, verbose_name=_("changed by"))

    class Meta:
        verbose_name = _("change of self-published information")
        verbose_name_plural = _("changes of self-published information")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} {self.changed_at:%Y-%m-%d}"
