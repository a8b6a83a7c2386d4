"""Lists owned by agencies, and their entries' due process (DOMAIN.md §3)."""

from __future__ import annotations

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Agency, Subject, SubjectKind, add_months
from registry.validators import facts_length, note_length, plausible_decision_date


class ListKind(models.TextChoices):
    BLACKLIST = "blacklist", _("blacklist (seriously untrustworthy)")
    REDLIST = "redlist", _("redlist")
    WATCHLIST = "watchlist", _("key-attention list")


class RepairCondition(models.TextChoices):
    """What a repair application must prove (seed 001). Never donations or blood (seed 000)."""

    PROOF_OF_CORRECTION = "proof_of_correction", _("proof the violation was corrected")
    TRAINING_CERTIFICATE = "training_certificate", _("credit training certificate")
    CREDIT_COMMITMENT = "credit_commitment", _("written credit commitment")
    OBLIGATION_MET = "obligation_met", _("proof the obligation is met")


class ListDefinitionQuerySet(models.QuerySet):
    def owned_by(self, agency_id: int | None) -> ListDefinitionQuerySet:
        return self.filter(owner_id=agency_id)

    def public(self) -> ListDefinitionQuerySet:
        return self.filter(is_public=True, is_active=True)


@pghistory.track()
class ListDefinition(models.Model):
    Kind = ListKind

    key = models.SlugField(max_length=64, unique=True)
    owner = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="lists")
    kind = models.CharField(max_length=16, choices=ListKind.choices)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    legal_basis_instrument = models.CharField(max_length=300)
    legal_basis_article = models.CharField(max_length=100, blank=True)
    subject_kinds = ArrayField(models.CharField(max_length=32, choices=SubjectKind.choices))
    is_public = models.BooleanField(default=True)
    publicity_months = models.PositiveIntegerField(
        help_text=_("How long a published entry stays in publicity (at most).")
    )
    objection_window_days = models.PositiveIntegerField(
        default=15, help_text=_("Days after notice in which the subject may object (default 15).")
    )
    decision_deadline_working_days = models.PositiveIntegerField(
        default=15, help_text=_("Working days to decide an objection or repair (default 15).")
    )
    immediate_publication_basis = models.CharField(
        max_length=300,
        blank=True,
        help_text=_(
            "Legal basis for publishing without waiting for the objection window "
            "(e.g. court decisions). Empty: the window must run first."
        ),
    )
    hold_while_objection_pending = models.BooleanField(
        default=True, help_text=_("Hold an entry out of publicity while an objection is pending.")
    )
    may_trigger_joint_measures = models.BooleanField(default=False)
    is_derived = models.BooleanField(
        default=False, help_text=_("Derived by a published rule; a reviewer confirms each entry.")
    )
    repair_conditions = ArrayField(
        models.CharField(max_length=32, choices=RepairCondition.choices), default=list, blank=True
    )
    source = models.TextField(blank=True, help_text=_("Where this definition comes from."))
    is_active = models.BooleanField(default=True)

    objects = ListDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["owner__short_name", "name"]
        constraints = [
            # Joint measures only for severe lists (Bi, seed 000): never from a watch list.
            models.CheckConstraint(
                name="listdefinition_watchlist_no_joint_measures",
                condition=~Q(kind="watchlist") | Q(may_trigger_joint_measures=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not self.subject_kinds:
            raise ValidationError({"subject_kinds": _("Say which kinds of subject it may hold.")})
        if not self.legal_basis_instrument.strip():
            raise ValidationError({"legal_basis_instrument": _("A list needs a legal basis.")})


@pghistory.track()
class ListGround(models.Model):
    """One closed entry criterion of a list, with its own legal basis."""

    list = models.ForeignKey(ListDefinition, on_delete=models.CASCADE, related_name="grounds")
    code = models.CharField(max_length=32)
    text = models.CharField(max_length=500)
    text_en = models.CharField(max_length=500, blank=True)
    legal_basis = models.CharField(max_length=300)

    class Meta:
        ordering = ["list", "code"]
        constraints = [
            models.UniqueConstraint(name="listground_code_per_list", fields=["list", "code"])
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Severity(models.TextChoices):
    GENERAL = "general", _("general")
    SERIOUS = "serious", _("serious")
    EXTREMELY_SERIOUS = "extremely_serious", _("extremely serious")


@pghistory.track()
class SeverityTier(models.Model):
    """Durations per tier (seed 001: general 3-12 months, serious 6-36, extremely serious
    up to permanent), configured per list."""

    list = models.ForeignKey(ListDefinition, on_delete=models.CASCADE, related_name="tiers")
    tier = models.CharField(max_length=32, choices=Severity.choices)
    min_months = models.PositiveIntegerField(
        help_text=_("Minimum time on the list; credit repair cannot be granted earlier.")
    )
    max_months = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: the entry may be permanent.")
    )

    class Meta:
        ordering = ["list", "min_months"]
        constraints = [
            models.UniqueConstraint(name="severitytier_once_per_list", fields=["list", "tier"]),
            models.CheckConstraint(
                name="severitytier_min_le_max",
                condition=Q(max_months__isnull=True) | Q(min_months__lte=models.F("max_months")),
            ),
        ]

    def __str__(self) -> str:
        upper = self.max_months if self.max_months is not None else "∞"
        return f"{self.get_tier_display()} ({self.min_months}-{upper} months)"


class EntryState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    APPROVED = "approved", _("approved")
    NOTIFIED = "notified", _("subject notified")
    PUBLISHED = "published", _("published")
    ENDED = "ended", _("ended")


class EndReason(models.TextChoices):
    EXPIRED = "expired", _("expired")
    REPAIRED = "repaired", _("credit repaired")
    REVOKED = "revoked", _("revoked")
    OBJECTION_UPHELD = "objection_upheld", _("objection upheld")


class NoticeChannel(models.TextChoices):
    IN_PERSON = "in_person", _("served in person")
    REGISTERED_MAIL = "registered_mail", _("registered mail")
    ELECTRONIC = "electronic", _("electronic service")
    PUBLIC_ANNOUNCEMENT = "public_announcement", _("public announcement")


class ListEntryQuerySet(models.QuerySet):
    def for_agency(self, agency_id: int | None) -> ListEntryQuerySet:
        return self.filter(list__owner_id=agency_id)

    def in_force(self) -> ListEntryQuerySet:
        """Entries with legal effect: published and not ended."""
        return self.filter(state=EntryState.PUBLISHED)

    def in_publicity(self, at: datetime.date | None = None) -> ListEntryQuerySet:
        """What the public may see: published on a public list, within the publicity
        period, and not held back by a pending objection that holds (see Objection.holds)."""
        at = at or timezone.localdate()
        pending = Objection.objects.filter(entry=models.OuterRef("pk"), status="pending").holding()
        return (
            self.filter(state=EntryState.PUBLISHED, list__is_public=True)
            .filter(Q(publicity_ends_on__isnull=True) | Q(publicity_ends_on__gt=at))
            .exclude(Q(list__hold_while_objection_pending=True) & Q(models.Exists(pending)))
        )

    def archived(self) -> ListEntryQuerySet:
        return self.filter(state=EntryState.ENDED)


@pghistory.track()
class ListEntry(models.Model):
    """A subject on a list, citing the decision behind it. Changed only through services."""

    State = EntryState
    EndReason = EndReason

    list = models.ForeignKey(ListDefinition, on_delete=models.PROTECT, related_name="entries")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="list_entries")
    ground = models.ForeignKey(ListGround, on_delete=models.PROTECT)
    tier = models.ForeignKey(SeverityTier, on_delete=models.PROTECT)
    duration_months = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty only where the tier allows a permanent entry.")
    )
    state = models.CharField(max_length=16, choices=EntryState.choices, default=EntryState.DRAFT)

    # The source decision this entry records (no decision, no entry).
    decision_number = models.CharField(max_length=100)
    decision_date = models.DateField(validators=[plausible_decision_date])
    decision_issuer = models.CharField(max_length=200)
    facts = models.TextField(validators=[facts_length])

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_via = models.CharField(max_length=32, choices=NoticeChannel.choices, blank=True)
    notice_reference = models.CharField(max_length=200, blank=True)
    objection_window_ends_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text=_("Empty: permanent."))
    publicity_ends_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)
    end_note = models.TextField(blank=True, validators=[note_length])
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "list entries"
        ordering = ["-id"]
        indexes = [
            # Clock task: published entries past their end date.
            models.Index(
                name="listentry_published_ends",
                fields=["ends_on"],
                condition=Q(state="published"),
            ),
            # Clock task: notified entries whose objection window lapsed.
            models.Index(
                name="listentry_notified_window",
                fields=["objection_window_ends_at"],
                condition=Q(state="notified"),
            ),
            # Portal / subject page: a subject's entries by state.
            models.Index(name="listentry_subject_state", fields=["subject", "state"]),
            # Agency queue and API: one list's entries by state.
            models.Index(name="listentry_list_state", fields=["list", "state"]),
        ]
        constraints = [
            # One decision lists a subject once on a given list.
            models.UniqueConstraint(
                name="listentry_one_per_decision",
                fields=["list", "subject", "decision_number"],
            ),
            models.CheckConstraint(
                name="listentry_ended_has_reason",
                condition=~Q(state="ended") | ~Q(end_reason=""),
            ),
            models.CheckConstraint(
                name="listentry_published_has_dates",
                condition=~Q(state="published") | Q(starts_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject_id} on {self.list_id} ({self.state})"

    @property
    def owner_id(self) -> int:
        return self.list.owner_id

    def compute_end(self, start: datetime.date) -> datetime.date | None:
        return add_months(start, self.duration_months) if self.duration_months is not None else None


class OutboxEventKind(models.TextChoices):
    EFFECT_STARTED = "effect_started", _("legal effect started")
    EFFECT_ENDED = "effect_ended", _("legal effect ended")


class OutboxEvent(models.Model):
    """Transactional outbox, append-only: written in the same transaction as the state change
    that starts or ends an entry's legal effect. The sanctions app consumes it and keeps its
    own record of what it consumed, so a lost message or a dead broker loses nothing. At most
    one event of each kind per entry, enforced by the database, so concurrent transitions
    cannot double it."""

    Kind = OutboxEventKind

    entry = models.ForeignKey(ListEntry, on_delete=models.PROTECT, related_name="outbox_events")
    kind = models.CharField(max_length=16, choices=OutboxEventKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(name="outboxevent_once_per_kind", fields=["entry", "kind"])
        ]

    def __str__(self) -> str:
        return f"{self.kind} entry {self.entry_id}"


class Decision(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("upheld")
    REJECTED = "rejected", _("rejected")


def evidence_path(instance, filename: str) -> str:
    return f"evidence/{instance.tracking_number}/{filename}"


class ObjectionQuerySet(models.QuerySet):
    def holding(self) -> ObjectionQuerySet:
        """Objections that hold a published entry out of publicity while pending: admitted by
        a reviewer, or filed by the subject's own verified account (issue 10). A bare
        anonymous filing holds nothing, so it cannot be used to hide an entry."""
        return self.filter(Q(admitted_at__isnull=False) | Q(filed_by_subject_account=True))


@pghistory.track()
class Objection(models.Model):
    """An accuracy dispute (异议). Legality goes to reconsideration or the courts instead.

    Admission (受理): a reviewer of the owning agency admits a pending objection within
    `ADMISSION_WORKING_DAYS` (by `admit_by`); the clock flags `admission_overdue` after that.
    """

    Status = Decision
    ADMISSION_WORKING_DAYS = 2

    entry = models.ForeignKey(ListEntry, on_delete=models.PROTECT, related_name="objections")
    tracking_number = models.CharField(max_length=32, unique=True)
    filed_by_name = models.CharField(max_length=200)
    filed_on_behalf = models.BooleanField(
        default=False, help_text=_("Filed by a representative for the subject.")
    )
    contact = models.CharField(max_length=200)
    disputed_facts = models.TextField(validators=[facts_length])
    evidence = models.FileField(upload_to=evidence_path, blank=True)
    filed_at = models.DateTimeField(default=timezone.now)
    filed_by_subject_account = models.BooleanField(
        default=False,
        help_text=_("Filed by the subject's own verified account: holds the entry at once."),
    )
    admit_by = models.DateField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    admission_overdue = models.BooleanField(default=False)
    decide_by = models.DateField()
    status = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    is_overdue = models.BooleanField(default=False)
    corrected_facts = models.TextField(
        validators=[facts_length],
        blank=True,
        help_text=_("When upheld in part: the corrected facts; the entry continues."),
    )
    decision_reasons = models.TextField(blank=True, validators=[note_length])
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at"]
        indexes = [
            models.Index(
                name="objection_pending_due", fields=["decide_by"], condition=Q(status="pending")
            )
        ]

    def __str__(self) -> str:
        return self.tracking_number


@pghistory.track()
class RepairApplication(models.Model):
    """A credit repair application (信用修复)."""

    Status = Decision

    entry = models.ForeignKey(ListEntry, on_delete=models.PROTECT, related_name="repairs")
    tracking_number = models.CharField(max_length=32, unique=True)
    applicant_name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200)
    conditions_met = ArrayField(
        models.CharField(max_length=32, choices=RepairCondition.choices), default=list, blank=True
    )
    statement = models.TextField(validators=[facts_length])
    evidence = models.FileField(upload_to=evidence_path, blank=True)
    filed_at = models.DateTimeField(default=timezone.now)
    decide_by = models.DateField()
    status = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    is_overdue = models.BooleanField(default=False)
    decision_reasons = models.TextField(blank=True, validators=[note_length])
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        indexes = [
            models.Index(
                name="repair_pending_due", fields=["decide_by"], condition=Q(status="pending")
            )
        ]

    def __str__(self) -> str:
        return self.tracking_number


@pghistory.track()
class WatchCandidate(models.Model):
    """A subject the published rule flags for the derived watch list; a reviewer decides."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed")

    watch_list = models.ForeignKey(
        ListDefinition, on_delete=models.PROTECT, related_name="candidates"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    source_agencies = models.ManyToManyField(Agency, related_name="+")
    evidence = models.JSONField(
        default=list, help_text=_("The negative records and entries behind the flag.")
    )
    detected_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        ListEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="candidate"
    )

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            # One open candidacy per subject and list.
            models.UniqueConstraint(
                name="watchcandidate_one_open",
                fields=["watch_list", "subject"],
                condition=Q(status="candidate"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} → {self.watch_list_id} ({self.status})"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """A bulk import run in the background (issue 10): the uploaded file, counted and capped
    while it was streamed in, then validated and applied by a Celery task
    (blacklists.import_jobs), all rows or none. Progress is `processed` of `rows`."""

    Status = ImportJobStatus

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content = models.BinaryField(editable=False)
    size = models.PositiveIntegerField()
    rows = models.PositiveIntegerField(help_text=_("Data rows counted while uploading."))
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                name="importjob_open",
                fields=["created_at"],
                condition=Q(status__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
