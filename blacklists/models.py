"""Lists owned by agencies, and their entries' due process (DOMAIN.md §3)."""

from __future__ import annotations

import datetime
import functools

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blacklists.evidence import get_evidence_storage
from blacklists.evidence import random_name as evidence_random_name
from registry.models import Agency, Subject, SubjectKind, add_months, subject_short_label
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

    key = models.SlugField(max_length=64, unique=True, verbose_name=_("key (slug)"))
    owner = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="lists", verbose_name=_("owner")
    )
    kind = models.CharField(max_length=16, choices=ListKind.choices, verbose_name=_("kind"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    name_en = models.CharField(max_length=200, blank=True, verbose_name=_("English name"))
    legal_basis_instrument = models.CharField(
        max_length=300, verbose_name=_("legal basis instrument")
    )
    legal_basis_article = models.CharField(
        max_length=100, blank=True, verbose_name=_("legal basis article")
    )
    subject_kinds = ArrayField(
        models.CharField(max_length=32, choices=SubjectKind.choices),
        verbose_name=_("subject kinds"),
    )
    is_public = models.BooleanField(default=True, verbose_name=_("public"))
    publicity_months = models.PositiveIntegerField(
        help_text=_("How long a published entry stays in publicity (at most)."),
        verbose_name=_("publicity period (months)"),
    )
    objection_window_days = models.PositiveIntegerField(
        default=15,
        help_text=_("Days after notice in which the subject may object (default 15)."),
        verbose_name=_("objection window (days)"),
    )
    decision_deadline_working_days = models.PositiveIntegerField(
        default=15,
        help_text=_("Working days to decide an objection or repair (default 15)."),
        verbose_name=_("decision deadline (working days)"),
    )
    immediate_publication_basis = models.CharField(
        max_length=300,
        blank=True,
        help_text=_(
            "Legal basis for publishing without waiting for the objection window "
            "(e.g. court decisions). Empty: the window must run first."
        ),
        verbose_name=_("immediate publication basis"),
    )
    hold_while_objection_pending = models.BooleanField(
        default=True,
        help_text=_("Hold an entry out of publicity while an objection is pending."),
        verbose_name=_("hold while objection pending"),
    )
    may_trigger_joint_measures = models.BooleanField(
        default=False, verbose_name=_("may trigger joint measures")
    )
    is_derived = models.BooleanField(
        default=False,
        help_text=_("Derived by a published rule; a reviewer confirms each entry."),
        verbose_name=_("derived"),
    )
    repair_conditions = ArrayField(
        models.CharField(max_length=32, choices=RepairCondition.choices),
        default=list,
        blank=True,
        verbose_name=_("repair conditions"),
    )
    source = models.TextField(
        blank=True, help_text=_("Where this definition comes from."), verbose_name=_("source")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("in use"))

    objects = ListDefinitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("list definition")
        verbose_name_plural = _("list definitions")
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

    list = models.ForeignKey(
        ListDefinition, on_delete=models.CASCADE, related_name="grounds", verbose_name=_("list")
    )
    code = models.CharField(max_length=32, verbose_name=_("code"))
    text = models.CharField(max_length=500, verbose_name=_("text"))
    text_en = models.CharField(max_length=500, blank=True, verbose_name=_("English text"))
    legal_basis = models.CharField(max_length=300, verbose_name=_("legal basis"))

    class Meta:
        verbose_name = _("list ground")
        verbose_name_plural = _("list grounds")
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

    list = models.ForeignKey(
        ListDefinition, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("list")
    )
    tier = models.CharField(max_length=32, choices=Severity.choices, verbose_name=_("tier"))
    min_months = models.PositiveIntegerField(
        help_text=_("Minimum time on the list; credit repair cannot be granted earlier."),
        verbose_name=_("minimum (months)"),
    )
    max_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Empty: the entry may be permanent."),
        verbose_name=_("maximum (months)"),
    )

    class Meta:
        verbose_name = _("severity tier")
        verbose_name_plural = _("severity tiers")
        ordering = ["list", "min_months"]
        constraints = [
            models.UniqueConstraint(name="severitytier_once_per_list", fields=["list", "tier"]),
            models.CheckConstraint(
                name="severitytier_min_le_max",
                condition=Q(max_months__isnull=True) | Q(min_months__lte=models.F("max_months")),
            ),
        ]

    def __str__(self) -> str:
        """`一般（3–12 个月）`: the tier and its duration range."""
        if self.min_months == 0:  # "至少 0 个月" / "0–24 个月" read as a mistake to clerks
            if self.max_months is None:
                return gettext("%(tier)s (no minimum, may be permanent)") % {
                    "tier": self.get_tier_display()
                }
            return gettext("%(tier)s (up to %(max)d months)") % {
                "tier": self.get_tier_display(),
                "max": self.max_months,
            }
        if self.max_months is None:
            return gettext("%(tier)s (at least %(min)d months, may be permanent)") % {
                "tier": self.get_tier_display(),
                "min": self.min_months,
            }
        return gettext("%(tier)s (%(min)d–%(max)d months)") % {
            "tier": self.get_tier_display(),
            "min": self.min_months,
            "max": self.max_months,
        }


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


def shown_publicly(subject: str = "", at: datetime.date | None = None) -> Q:
    """The one rule "natural persons appear only while on a public list" (personal
    information is published only as part of a list entry in publicity; organisations are
    public registration data): a Q that holds for an organisation always and for a natural
    person only while an entry of theirs is `in_publicity(at)`.

    `subject` is the path from the filtered model to the subject: "" when filtering subjects,
    "subject" for a credit record, "holder" for a role. The portal (`publicity.selectors`)
    and open data (`opendata.datasets`) both filter with it; neither restates it."""
    return _shown_publicly(subject, at or timezone.localdate())


@functools.lru_cache(maxsize=32)
def _shown_publicly(subject: str, at: datetime.date) -> Q:
    """shown_publicly, built once per path and day: the nested querysets cost more to build
    than the portal's searches cost to run (a Q is never changed by the queries using it)."""
    prefix = f"{subject}__" if subject else ""
    ref = f"{subject}_id" if subject else "pk"
    listed = models.Exists(ListEntry.objects.in_publicity(at).filter(subject=models.OuterRef(ref)))
    return ~Q(**{f"{prefix}kind": SubjectKind.NATURAL_PERSON}) | Q(listed)


@pghistory.track()
class ListEntry(models.Model):
    """A subject on a list, citing the decision behind it. Changed only through services."""

    State = EntryState
    EndReason = EndReason

    list = models.ForeignKey(
        ListDefinition, on_delete=models.PROTECT, related_name="entries", verbose_name=_("list")
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="list_entries", verbose_name=_("subject")
    )
    ground = models.ForeignKey(ListGround, on_delete=models.PROTECT, verbose_name=_("ground"))
    tier = models.ForeignKey(SeverityTier, on_delete=models.PROTECT, verbose_name=_("tier"))
    duration_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Empty only where the tier allows a permanent entry."),
        verbose_name=_("duration (months)"),
    )
    state = models.CharField(
        max_length=16, choices=EntryState.choices, default=EntryState.DRAFT, verbose_name=_("state")
    )

    # The source decision this entry records (no decision, no entry).
    decision_number = models.CharField(max_length=100, verbose_name=_("decision number"))
    decision_date = models.DateField(
        validators=[plausible_decision_date], verbose_name=_("decision date")
    )
    decision_issuer = models.CharField(max_length=200, verbose_name=_("decision issuer"))
    facts = models.TextField(validators=[facts_length], verbose_name=_("facts"))

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("notified at"))
    notified_via = models.CharField(
        max_length=32, choices=NoticeChannel.choices, blank=True, verbose_name=_("notified via")
    )
    notice_reference = models.CharField(
        max_length=200, blank=True, verbose_name=_("notice reference")
    )
    objection_window_ends_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("objection window ends at")
    )
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    starts_on = models.DateField(null=True, blank=True, verbose_name=_("starts on"))
    ends_on = models.DateField(
        null=True, blank=True, help_text=_("Empty: permanent."), verbose_name=_("ends on")
    )
    publicity_ends_on = models.DateField(null=True, blank=True, verbose_name=_("publicity ends on"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    end_reason = models.CharField(
        max_length=32, choices=EndReason.choices, blank=True, verbose_name=_("end reason")
    )
    end_note = models.TextField(blank=True, validators=[note_length], verbose_name=_("end note"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
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
        """`失信被执行人名单 · 某某科技有限公司（9143…）· 待审核`: list, subject with the first
        four characters of its code only (never a full resident ID), state."""
        if not self.list_id or not self.subject_id:
            return str(_("new list entry"))
        return " · ".join(
            [self.list.name, subject_short_label(self.subject), str(self.get_state_display())]
        )

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

    entry = models.ForeignKey(
        ListEntry, on_delete=models.PROTECT, related_name="outbox_events", verbose_name=_("entry")
    )
    kind = models.CharField(max_length=16, choices=OutboxEventKind.choices, verbose_name=_("kind"))
    occurred_at = models.DateTimeField(default=timezone.now, verbose_name=_("occurred at"))

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(name="outboxevent_once_per_kind", fields=["entry", "kind"])
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.entry}"


class Decision(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("upheld")
    REJECTED = "rejected", _("rejected")


def evidence_path(instance, filename: str) -> str:
    """Kept for old migrations; new files get random names (blacklists.evidence)."""
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

    entry = models.ForeignKey(
        ListEntry, on_delete=models.PROTECT, related_name="objections", verbose_name=_("entry")
    )
    tracking_number = models.CharField(
        max_length=32, unique=True, verbose_name=_("tracking number")
    )
    filed_by_name = models.CharField(max_length=200, verbose_name=_("filed by"))
    filed_on_behalf = models.BooleanField(
        default=False,
        help_text=_("Filed by a representative for the subject."),
        verbose_name=_("filed on behalf"),
    )
    contact = models.CharField(max_length=200, verbose_name=_("contact"))
    disputed_facts = models.TextField(validators=[facts_length], verbose_name=_("disputed facts"))
    # Outside any public URL, under a random name; served by publicity.views.evidence.
    evidence = models.FileField(
        upload_to=evidence_random_name,
        storage=get_evidence_storage,
        blank=True,
        verbose_name=_("evidence"),
    )
    filed_at = models.DateTimeField(default=timezone.now, verbose_name=_("filed at"))
    filed_by_subject_account = models.BooleanField(
        default=False,
        help_text=_("Filed by the subject's own verified account: holds the entry at once."),
        verbose_name=_("filed by the subject's account"),
    )
    admit_by = models.DateField(null=True, blank=True, verbose_name=_("admission due by"))
    admitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("admitted at"))
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("admitted by"),
    )
    admission_overdue = models.BooleanField(default=False, verbose_name=_("admission overdue"))
    decide_by = models.DateField(verbose_name=_("decision due by"))
    status = models.CharField(
        max_length=16, choices=Decision.choices, default=Decision.PENDING, verbose_name=_("status")
    )
    is_overdue = models.BooleanField(default=False, verbose_name=_("overdue"))
    corrected_facts = models.TextField(
        validators=[facts_length],
        blank=True,
        help_text=_("When upheld in part: the corrected facts; the entry continues."),
        verbose_name=_("corrected facts"),
    )
    decision_reasons = models.TextField(
        blank=True, validators=[note_length], verbose_name=_("decision reasons")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
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

    entry = models.ForeignKey(
        ListEntry, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("entry")
    )
    tracking_number = models.CharField(
        max_length=32, unique=True, verbose_name=_("tracking number")
    )
    applicant_name = models.CharField(max_length=200, verbose_name=_("applicant name"))
    contact = models.CharField(max_length=200, verbose_name=_("contact"))
    conditions_met = ArrayField(
        models.CharField(max_length=32, choices=RepairCondition.choices),
        default=list,
        blank=True,
        verbose_name=_("conditions met"),
    )
    statement = models.TextField(validators=[facts_length], verbose_name=_("statement"))
    # Outside any public URL, under a random name; served by publicity.views.evidence.
    evidence = models.FileField(
        upload_to=evidence_random_name,
        storage=get_evidence_storage,
        blank=True,
        verbose_name=_("evidence"),
    )
    filed_at = models.DateTimeField(default=timezone.now, verbose_name=_("filed at"))
    decide_by = models.DateField(verbose_name=_("decision due by"))
    status = models.CharField(
        max_length=16, choices=Decision.choices, default=Decision.PENDING, verbose_name=_("status")
    )
    is_overdue = models.BooleanField(default=False, verbose_name=_("overdue"))
    decision_reasons = models.TextField(
        blank=True, validators=[note_length], verbose_name=_("decision reasons")
    )
    filed_by_subject_account = models.BooleanField(
        default=False,
        help_text=_("Filed signed in by a verified account of the subject itself."),
        verbose_name=_("filed by the subject's account"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("repair application")
        verbose_name_plural = _("repair applications")
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
        ListDefinition,
        on_delete=models.PROTECT,
        related_name="candidates",
        verbose_name=_("watch list"),
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    source_agencies = models.ManyToManyField(
        Agency, related_name="+", verbose_name=_("source agencies")
    )
    evidence = models.JSONField(
        default=list,
        help_text=_("The negative records and entries behind the flag."),
        verbose_name=_("evidence"),
    )
    detected_at = models.DateTimeField(default=timezone.now, verbose_name=_("detected at"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.CANDIDATE, verbose_name=_("status")
    )
    reasons = models.TextField(blank=True, verbose_name=_("reasons"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    entry = models.OneToOneField(
        ListEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="candidate",
        verbose_name=_("entry"),
    )

    class Meta:
        verbose_name = _("watch candidate")
        verbose_name_plural = _("watch candidates")
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
        return " · ".join(
            [
                self.watch_list.name,
                subject_short_label(self.subject),
                str(self.get_status_display()),
            ]
        )


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

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    filename = models.CharField(max_length=200, verbose_name=_("filename"))
    content = models.BinaryField(editable=False, verbose_name=_("content"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    rows = models.PositiveIntegerField(
        help_text=_("Data rows counted while uploading."), verbose_name=_("rows")
    )
    dry_run = models.BooleanField(default=True, verbose_name=_("dry run"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status")
    )
    processed = models.PositiveIntegerField(default=0, verbose_name=_("processed"))
    created_count = models.PositiveIntegerField(default=0, verbose_name=_("created count"))
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
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
