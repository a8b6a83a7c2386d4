"""Joint rewards and punishments: memoranda as data, sanctions as their recorded effect."""

from __future__ import annotations

import datetime

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blacklists.models import ListDefinition, ListEntry, OutboxEvent
from registry.models import Agency, RoleKind, Subject


class MemorandumQuerySet(models.QuerySet):
    def in_effect(self, on: datetime.date | None = None) -> MemorandumQuerySet:
        on = on or timezone.localdate()
        return self.filter(effective_from__lte=on).filter(
            Q(effective_until__isnull=True) | Q(effective_until__gt=on)
        )


@pghistory.track()
class Memorandum(models.Model):
    """A memorandum of understanding: agencies honour each other's lists with measures."""

    key = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    document_number = models.CharField(max_length=100)
    signed_on = models.DateField()
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    signatories = models.ManyToManyField(Agency, related_name="memoranda_signed")
    triggering_lists = models.ManyToManyField(ListDefinition, related_name="memoranda")
    source = models.TextField(blank=True)

    objects = MemorandumQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "memoranda"
        ordering = ["effective_from", "key"]
        constraints = [
            models.CheckConstraint(
                name="memorandum_effective_dates_ordered",
                condition=Q(effective_until__isnull=True)
                | Q(effective_from__lt=models.F("effective_until")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.document_number})"


class MeasureKind(models.TextChoices):
    PUNISHMENT = "punishment", _("punishment")
    INCENTIVE = "incentive", _("incentive")


class MeasureTarget(models.TextChoices):
    SUBJECT = "subject", _("the listed subject")
    LEGAL_REPRESENTATIVE = "legal_representative", _("its legal representative")
    PRINCIPAL_RESPONSIBLE_PERSON = (
        "principal_responsible_person",
        _("its principal responsible person"),
    )
    DIRECTORS_SUPERVISORS_SENIOR_MANAGERS = (
        "directors_supervisors_senior_managers",
        _("its directors, supervisors and senior managers"),
    )
    ACTUAL_CONTROLLER = "actual_controller", _("its actual controller")


# Which roles of a listed organisation each target reaches.
TARGET_ROLES: dict[str, tuple[str, ...]] = {
    MeasureTarget.LEGAL_REPRESENTATIVE: (RoleKind.LEGAL_REPRESENTATIVE,),
    MeasureTarget.PRINCIPAL_RESPONSIBLE_PERSON: (RoleKind.PRINCIPAL_RESPONSIBLE_PERSON,),
    MeasureTarget.DIRECTORS_SUPERVISORS_SENIOR_MANAGERS: (
        RoleKind.DIRECTOR,
        RoleKind.SUPERVISOR,
        RoleKind.SENIOR_MANAGER,
    ),
    MeasureTarget.ACTUAL_CONTROLLER: (RoleKind.ACTUAL_CONTROLLER,),
}


class MeasureQuerySet(models.QuerySet):
    def active(self) -> MeasureQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def for_implementing_agency(self, agency_id: int) -> MeasureQuerySet:
        return self.filter(implementing_agency_id=agency_id)


@pghistory.track()
class Measure(models.Model):
    """One measure of a memorandum, enforced by one implementing agency on its own legal basis."""

    Kind = MeasureKind
    Target = MeasureTarget

    class Duration(models.TextChoices):
        WHILE_IN_FORCE = "while_in_force", _("while the entry is in force")
        FIXED = "fixed", _("a fixed period from the entry's start")

    memorandum = models.ForeignKey(Memorandum, on_delete=models.PROTECT, related_name="measures")
    code = models.CharField(max_length=16)
    text = models.CharField(max_length=500)
    text_en = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=MeasureKind.choices)
    implementing_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="measures_implemented"
    )
    legal_basis = models.CharField(max_length=500)
    mandatory = models.BooleanField(default=True)
    targets = models.CharField(
        max_length=48, choices=MeasureTarget.choices, default=MeasureTarget.SUBJECT
    )
    target_basis = models.CharField(
        max_length=500,
        blank=True,
        help_text=_(
            "Where the measure reaches persons other than the listed subject: the provision that "
            "allows it. No provision, no collateral target (SPC opinion, seed 000)."
        ),
    )
    duration = models.CharField(
        max_length=16, choices=Duration.choices, default=Duration.WHILE_IN_FORCE
    )
    fixed_months = models.PositiveIntegerField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["memorandum", "code"]
        constraints = [
            models.UniqueConstraint(
                name="measure_code_per_memorandum", fields=["memorandum", "code"]
            ),
            models.CheckConstraint(
                name="measure_fixed_has_months",
                condition=~Q(duration="fixed") | Q(fixed_months__gt=0),
            ),
            models.CheckConstraint(name="measure_has_legal_basis", condition=~Q(legal_basis="")),
            models.CheckConstraint(
                name="measure_collateral_target_has_basis",
                condition=Q(targets="subject") | ~Q(target_basis=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    @property
    def target_roles(self) -> tuple[str, ...]:
        return TARGET_ROLES.get(self.targets, ())


class SanctionQuerySet(models.QuerySet):
    def in_force(self) -> SanctionQuerySet:
        return self.filter(status=Sanction.Status.IN_FORCE)

    def for_implementing_agency(self, agency_id: int) -> SanctionQuerySet:
        return self.filter(implementing_agency_id=agency_id)

    def with_provenance(self) -> SanctionQuerySet:
        return self.select_related(
            "measure__memorandum",
            "measure__implementing_agency__subject",
            "entry__list__owner__subject",
            "entry__ground",
            "entry__subject",
            "target",
        )


class Sanction(models.Model):
    """One measure applied to one target because of one list entry. Written only by the
    propagation services, which also write its feed events."""

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("in force")
        LIFTED = "lifted", _("lifted")

    class LiftReason(models.TextChoices):
        EXPIRED = "expired", _("entry expired")
        REPAIRED = "repaired", _("credit repaired")
        REVOKED = "revoked", _("entry revoked")
        OBJECTION_UPHELD = "objection_upheld", _("objection upheld")
        MEASURE_WITHDRAWN = "measure_withdrawn", _("measure withdrawn from the memorandum")
        MEMORANDUM_ENDED = "memorandum_ended", _("memorandum no longer in effect")
        FIXED_PERIOD_ELAPSED = "fixed_period_elapsed", _("fixed period elapsed")
        ROLE_ENDED = "role_ended", _("target no longer holds the role")
        RECONCILED = "reconciled", _("no longer expected (reconciliation)")

    # No single-column indexes on entry and measure: the unique (entry, measure, target) and
    # the (entry, status) / (measure, status) indexes below serve those lookups, and every
    # index is paid for on each of the millions of rows propagation writes.
    entry = models.ForeignKey(
        ListEntry, on_delete=models.PROTECT, related_name="sanctions", db_index=False
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="sanctions", db_index=False
    )
    target = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="sanctions")
    # Copied from the measure: every agency query filters on it.
    implementing_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    imposed_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.CharField(max_length=32, choices=LiftReason.choices, blank=True)

    objects = SanctionQuerySet.as_manager()

    class Meta:
        constraints = [
            # One sanction per entry, measure and target: a duplicate is impossible.
            models.UniqueConstraint(
                name="sanction_once_per_entry_measure_target",
                fields=["entry", "measure", "target"],
            ),
            models.CheckConstraint(
                name="sanction_lifted_has_time_and_reason",
                condition=Q(status="in_force", lifted_at__isnull=True)
                | (Q(status="lifted", lifted_at__isnull=False) & ~Q(lift_reason="")),
            ),
        ]
        indexes = [
            # Restrictions and screening: a target's sanctions for one implementing agency.
            models.Index(
                name="sanction_target_agency_live",
                fields=["target", "implementing_agency"],
                condition=Q(status="in_force"),
            ),
            # Propagation: an entry's sanctions in force (lifting on end).
            models.Index(name="sanction_entry_status", fields=["entry", "status"]),
            # Memorandum change and reconciliation: a measure's sanctions.
            models.Index(name="sanction_measure_status", fields=["measure", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} on {self.target_id} ({self.status})"


class SanctionEvent(models.Model):
    """The append-only history of sanctions, and the agencies' feed. Ids are assigned under a
    transaction-level advisory lock, so they commit in increasing order: a reader paging by id
    never skips an event that commits later with a smaller id."""

    class Kind(models.TextChoices):
        IMPOSED = "imposed", _("imposed")
        LIFTED = "lifted", _("lifted")

    # Served by the (sanction, at) and (implementing agency, id) indexes below.
    sanction = models.ForeignKey(
        Sanction, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    implementing_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(help_text=_("When the change took legal effect."))
    reason = models.CharField(max_length=32, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Feed: one agency's events after a cursor, in id order.
            models.Index(name="sanctionevent_agency_id", fields=["implementing_agency", "id"]),
            # As-of: a sanction's events up to a date.
            models.Index(name="sanctionevent_sanction_at", fields=["sanction", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sanction_id} at {self.at:%Y-%m-%d}"


class ConsumedOutboxEvent(models.Model):
    """Which list-entry outbox events propagation has applied. Its primary key is the event,
    so two workers racing on one event cannot both apply it."""

    event = models.OneToOneField(
        OutboxEvent, on_delete=models.PROTECT, primary_key=True, related_name="consumed"
    )
    consumed_at = models.DateTimeField(default=timezone.now)


class MemorandumChange(models.Model):
    """Outbox for memorandum changes (a measure added or withdrawn, triggers changed, the
    memorandum ending): written with the change, drained by the same worker."""

    class Kind(models.TextChoices):
        MEASURE_ADDED = "measure_added", _("measure added")
        MEASURE_WITHDRAWN = "measure_withdrawn", _("measure withdrawn")
        TRIGGERS_CHANGED = "triggers_changed", _("triggering lists changed")
        DATES_CHANGED = "dates_changed", _("effective dates changed or reached")
        EDITED = "edited", _("edited in the admin")

    memorandum = models.ForeignKey(Memorandum, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                name="memorandumchange_pending",
                fields=["id"],
                condition=Q(processed_at__isnull=True),
            )
        ]


@pghistory.track()
class SanctionFeedback(models.Model):
    """The implementing agency's report: applied, not applicable, or declined (discretionary
    measures only, with a reason)."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        NOT_APPLICABLE = "not_applicable", _("not applicable")
        DECLINED = "declined", _("declined")

    sanction = models.ForeignKey(Sanction, on_delete=models.PROTECT, related_name="feedback")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                name="sanctionfeedback_declined_has_reason",
                condition=~Q(outcome="declined") | ~Q(reason=""),
            )
        ]
