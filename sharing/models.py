"""Information sharing: purposes of consultation, subjects' consent and the access log.

Reads the registry (subjects, catalogue, credit records), the lists and sanctions; written
only through `sharing.services`.
"""

from __future__ import annotations

import uuid

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Agency, CatalogueItem, Subject, User, private_storage


class Purpose(models.Model):
    """Why an agency consults a file: a closed list kept as data (the operator adds more)."""

    code = models.SlugField(max_length=48, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    name_en = models.CharField(max_length=100, blank=True, verbose_name=_("English name"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    source = models.CharField(max_length=300, blank=True, verbose_name=_("source"))

    class Meta:
        verbose_name = _("purpose of consultation")
        verbose_name_plural = _("purposes of consultation")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ConsentQuerySet(models.QuerySet):
    def valid(self, at=None) -> ConsentQuerySet:
        at = at or timezone.localdate()
        return self.filter(withdrawn_at__isnull=True, valid_until__gte=at, valid_from__lte=at)


def consent_evidence_path(instance, filename: str) -> str:
    # Random name, no user-supplied part.
    return f"consents/{uuid.uuid4().hex}"


class Consent(models.Model):
    """A subject's written consent that one agency may read its restricted records for one
    purpose (Shanghai regulations art. 17, seed 000: non-public information "shall not be
    sought or provided without the written consent of the subject")."""

    class Given(models.TextChoices):
        DOCUMENT = "document", _("signed document uploaded by the agency")
        ONLINE = "online", _("given online by the subject")

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="consents", verbose_name=_("subject")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="consents", verbose_name=_("agency")
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, verbose_name=_("purpose"))
    all_restricted = models.BooleanField(default=False, verbose_name=_("all restricted records"))
    items = models.ManyToManyField(CatalogueItem, blank=True, verbose_name=_("catalogue items"))
    valid_from = models.DateField(default=timezone.localdate, verbose_name=_("valid from"))
    valid_until = models.DateField(verbose_name=_("valid until"))
    given = models.CharField(
        max_length=16, choices=Given.choices, default=Given.DOCUMENT, verbose_name=_("how given")
    )
    evidence = models.FileField(
        upload_to=consent_evidence_path,
        storage=private_storage,
        blank=True,
        verbose_name=_("signed consent document"),
    )
    evidence_sha256 = models.CharField(
        max_length=64, blank=True, verbose_name=_("SHA-256 of the document")
    )
    evidence_reference = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Number of the signed consent document."),
        verbose_name=_("consent document number"),
    )
    recorded_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded at"))
    withdrawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("withdrawn at"))
    withdrawn_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent of the subject")
        verbose_name_plural = _("consents of subjects")
        ordering = ["-recorded_at"]
        indexes = [
            # The file: valid consents of one subject for one agency.
            models.Index(name="consent_subject_agency", fields=["subject", "agency"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="consent_dates_ordered", condition=Q(valid_from__lte=models.F("valid_until"))
            ),
            models.CheckConstraint(
                name="consent_has_evidence",
                condition=~Q(given="document") | ~Q(evidence_sha256=""),
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk}: {self.subject_id} → {self.agency_id} ({self.purpose_id})"


class Channel(models.TextChoices):
    FILE = "file", _("file")
    CREDIT_CHECK = "credit_check", _("credit check")
    ADMIN = "admin", _("admin page")
    EXPORT = "export", _("export")
    COMMAND = "command", _("operations command")
    CONSENT_EVIDENCE = "consent_evidence", _("consent evidence downloaded")


class Outcome(models.TextChoices):
    RETURNED = "returned", _("data returned")
    EMPTY = "empty", _("nothing to return")
    NOT_FOUND = "not_found", _("no such subject")
    REFUSED = "refused", _("consultation refused")


@pgtrigger.register(
    # Append-only in the database: UPDATE and DELETE are refused whoever asks (the ORM, raw SQL,
    # the admin). TRUNCATE needs the table owner's rights, which the application never uses.
    pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)
class Consultation(models.Model):
    """The access log: one row per consultation of a subject's data by anyone, including failed
    and empty ones. Kept at least 5 years: partitioned by month of `at` (scs.partitioning),
    the daily maintenance drops whole months older than `PARTITION_RETENTION["access_log"]`
    (5 years at least); no row is ever updated or deleted."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, verbose_name=_("consulted at"))
    user = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(max_length=150, verbose_name=_("username"))
    agency = models.ForeignKey(
        Agency, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    subject = models.ForeignKey(
        Subject, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    # What was asked for when no subject matched, masked like everywhere else.
    asked = models.CharField(max_length=40, blank=True, verbose_name=_("identifier asked for"))
    channel = models.CharField(max_length=16, choices=Channel.choices, verbose_name=_("channel"))
    purpose = models.CharField(max_length=48, blank=True, verbose_name=_("purpose"))
    reference = models.CharField(
        max_length=200, blank=True, verbose_name=_("reference (case or document number)")
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name=_("outcome"))
    items = models.JSONField(default=list, blank=True, verbose_name=_("catalogue items"))
    restricted_withheld = models.PositiveIntegerField(
        default=0, verbose_name=_("restricted records withheld")
    )

    class Meta:
        verbose_name = _("consultation record")
        verbose_name_plural = _("access log")
        ordering = ["-id"]
        indexes = [
            # access_log <identifier>, the subject's own history (issue 13): newest first.
            models.Index(name="consultation_subject_id", fields=["subject", "-id"]),
            # An agency administrator reading its staff's consultations; the daily usage scan.
            models.Index(name="consultation_agency_at", fields=["agency", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.channel} {self.subject_id}"


class UsageFlag(models.Model):
    """Unusual use found by the daily scan, for the agency administrator to look into."""

    class Kind(models.TextChoices):
        VOLUME = "volume", _("far more subjects than peers")
        NO_REFERENCE = "no_reference", _("consultations without a reference")

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    day = models.DateField(verbose_name=_("day"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    count = models.PositiveIntegerField(verbose_name=_("count"))
    detail = models.CharField(max_length=300, verbose_name=_("detail"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))

    class Meta:
        verbose_name = _("unusual use flag")
        verbose_name_plural = _("unusual use flags")
        ordering = ["-day", "agency"]
        constraints = [
            # The scan is idempotent: one flag per user, day and kind.
            models.UniqueConstraint(name="usageflag_once", fields=["user", "day", "kind"])
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id} {self.kind} {self.count}"
