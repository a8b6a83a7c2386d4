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
from registry.models import Agency, CreditRecord, CreditRecordChange, RoleKind, Subject


class MemorandumQuerySet(models.QuerySet):
    def in_effect(self, on: datetime.date | None = None) -> MemorandumQuerySet:
        on = on or timezone.localdate()
        return self.filter(effective_from__lte=on).filter(
            Q(effective_until__isnull=True) | Q(effective_until__gt=on)
        )


@pghistory.track()
class Memorandum(models.Model):
    """A memorandum of understanding: agencies honour each other's lists with measures."""

    key = models.SlugField(max_length=64, unique=True, verbose_name=_("key (slug)"))
    title = models.CharField(max_length=300, verbose_name=_("title"))
    title_en = models.CharField(max_length=300, blank=True, verbose_name=_("English title"))
    document_number = models.CharField(max_length=100, verbose_name=_("document number"))
    signed_on = models.DateField(verbose_name=_("signed on"))
    effective_from = models.DateField(verbose_name=_("effective from"))
    effective_until = models.DateField(null=True, blank=True, verbose_name=_("effective until"))
    signatories = models.ManyToManyField(
        Agency, related_name="memoranda_signed", verbose_name=_("signatories")
    )
    triggering_lists = models.ManyToManyField(
        ListDefinition, related_name="memoranda", verbose_name=_("triggering lists")
    )
    source = models.TextField(blank=True, verbose_name=_("source"))

    objects = MemorandumQuerySet.as_manager()

    class Meta:
        verbose_name = _("memorandum")
        verbose_name_plural = _("memoranda")
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


class MeasureApplicability(models.TextChoices):
    """Which listed subjects a measure reaches, by kind. Judged on the listed subject (the
    defaulter), not on the target: "被执行人为单位的，限制其法定代表人…" reaches a person
    because the listed subject is a unit."""

    ANY = "any", _("any listed subject")
    NATURAL_PERSONS = "natural_persons", _("only where the listed subject is a natural person")
    UNITS = "units", _("only where the listed subject is a unit (not a natural person)")


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

    memorandum = models.ForeignKey(
        Memorandum, on_delete=models.PROTECT, related_name="measures", verbose_name=_("memorandum")
    )
    code = models.CharField(max_length=16, verbose_name=_("code"))
    text = models.CharField(max_length=500, verbose_name=_("text"))
    text_en = models.CharField(max_length=500, blank=True, verbose_name=_("English text"))
    kind = models.CharField(max_length=16, choices=MeasureKind.choices, verbose_name=_("kind"))
    implementing_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="measures_implemented",
        verbose_name=_("implementing agency"),
    )
    legal_basis = models.CharField(max_length=500, verbose_name=_("legal basis"))
    mandatory = models.BooleanField(default=True, verbose_name=_("mandatory"))
    targets = models.CharField(
        max_length=48,
        choices=MeasureTarget.choices,
        default=MeasureTarget.SUBJECT,
        verbose_name=_("targets"),
    )
    target_basis = models.CharField(
        max_length=500,
        blank=True,
        help_text=_(
            "Where the measure reaches persons other than the listed subject: the provision that "
            "allows it. No provision, no collateral target (SPC opinion, seed 000)."
        ),
        verbose_name=_("target basis"),
    )
    applies_to = models.CharField(
        max_length=16,
        choices=MeasureApplicability.choices,
        default=MeasureApplicability.ANY,
        help_text=_("The kinds of listed subject the measure's text reaches."),
        verbose_name=_("applies to"),
    )
    applies_to_basis = models.CharField(
        max_length=500,
        blank=True,
        help_text=_(
            "Where the measure reaches only some kinds of subject: the clause that says so "
            "(e.g. 被执行人为自然人的)."
        ),
        verbose_name=_("applies to basis"),
    )
    duration = models.CharField(
        max_length=16,
        choices=Duration.choices,
        default=Duration.WHILE_IN_FORCE,
        verbose_name=_("duration"),
    )
    fixed_months = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("fixed period (months)")
    )
    added_at = models.DateTimeField(default=timezone.now, verbose_name=_("added at"))
    withdrawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("withdrawn at"))

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
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
            models.CheckConstraint(
                name="measure_applicability_has_basis",
                condition=Q(applies_to="any") | ~Q(applies_to_basis=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def conditions(self) -> list[dict]:
        """The conditions that make this measure apply, each with the clause that states it:
        `[{"kind": "subject_kind" | "co_listing", "text": str, "clause": str}]` (texts in the
        active language). Empty for a measure that applies to every listed subject."""
        found = []
        if self.applies_to != MeasureApplicability.ANY:
            found.append(
                {
                    "kind": "subject_kind",
                    "text": str(MeasureApplicability(self.applies_to).label),
                    "clause": self.applies_to_basis,
                }
            )
        co = list(self.co_listings.all())
        if co:
            names = "、".join(c.list.name for c in co)
            found.append(
                {
                    "kind": "co_listing",
                    "text": _("only while the listed subject is also in force on: %(lists)s")
                    % {"lists": names},
                    "clause": co[0].clause,
                }
            )
        return found

    def applies_to_kind(self, kind: str) -> bool:
        """The rule of `applies_to`, in Python (the expected-set SQL is its twin)."""
        if self.applies_to == MeasureApplicability.NATURAL_PERSONS:
            return kind == "natural_person"
        if self.applies_to == MeasureApplicability.UNITS:
            return kind != "natural_person"
        return True

    @property
    def target_roles(self) -> tuple[str, ...]:
        return TARGET_ROLES.get(self.targets, ())


@pghistory.track()
class MeasureCoListing(models.Model):
    """A co-listing condition: the measure applies only while the listed subject is also in
    force on one of these lists (any one suffices), e.g. the customs memorandum's
    "失信企业为被执行人的" needs the enterprise on a judgment-debtor list too. Each row cites
    the clause of the memorandum that says so."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="co_listings", verbose_name=_("measure")
    )
    list = models.ForeignKey(
        ListDefinition, on_delete=models.PROTECT, related_name="+", verbose_name=_("list")
    )
    clause = models.CharField(
        max_length=500,
        help_text=_("The clause of the memorandum that states the condition."),
        verbose_name=_("clause"),
    )

    class Meta:
        verbose_name = _("measure co listing")
        verbose_name_plural = _("measure co listings")
        constraints = [
            models.UniqueConstraint(name="colisting_once_per_list", fields=["measure", "list"]),
            models.CheckConstraint(name="colisting_has_clause", condition=~Q(clause="")),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code}: also on {self.list.key}"


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
        ).prefetch_related("measure__co_listings__list")


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
        NOT_APPLICABLE = "not_applicable", _("measure not applicable to this subject")
        CONDITION_ENDED = "condition_ended", _("the measure's co-listing condition ended")
        RECONCILED = "reconciled", _("no longer expected (reconciliation)")

    # No single-column indexes on entry and measure: the unique (entry, measure, target) and
    # the (entry, status) / (measure, status) indexes below serve those lookups, and every
    # index is paid for on each of the millions of rows propagation writes.
    # db_constraint=False: the references are enforced set-based, once per statement, by the
    # triggers of migration 0007 (SET_BASED_REFERENCES), not by PostgreSQL's per-row
    # foreign-key checks, which were more than half the time of imposing (issue 14).
    entry = models.ForeignKey(
        ListEntry,
        on_delete=models.PROTECT,
        related_name="sanctions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("entry"),
    )
    measure = models.ForeignKey(
        Measure,
        on_delete=models.PROTECT,
        related_name="sanctions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("measure"),
    )
    target = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        related_name="sanctions",
        db_constraint=False,
        verbose_name=_("target"),
    )
    # Copied from the measure: every agency query filters on it.
    implementing_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("implementing agency"),
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.IN_FORCE, verbose_name=_("status")
    )
    imposed_at = models.DateTimeField(verbose_name=_("imposed at"))
    lifted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lifted at"))
    lift_reason = models.CharField(
        max_length=32, choices=LiftReason.choices, blank=True, verbose_name=_("lift reason")
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
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
            # An entry's sanctions (lifting on end) use the unique constraint's index, which
            # leads with the entry: a second index on (entry, status) only cost every insert
            # and every lift (dropped in migration 0010).
            # Memorandum change and reconciliation: a measure's sanctions.
            models.Index(name="sanction_measure_status", fields=["measure", "status"]),
            # The admin's "to enforce" page: an agency's sanctions in force, newest first, one
            # page at a time (sanctions.admin_enforce.to_enforce_queryset). Without it the page
            # sorted all of CAAC's 25 000 sanctions (and ran the last-feedback subquery for
            # each) to show 100: 300 ms at 1 000 000 subjects.
            models.Index(
                name="sanction_agency_live_newest",
                fields=["implementing_agency", "-imposed_at", "-id"],
                condition=Q(status="in_force"),
            ),
        ]

    def __str__(self) -> str:
        """`限制乘坐民航飞机 · 某某 · 实施中`: measure, target's name, status."""
        return " · ".join([self.measure.text, self.target.name, str(self.get_status_display())])


# Reasons recorded on feed events, as words (API `reason_text`, portal, admin).
EVENT_REASON_TEXT: dict[str, str] = {
    "entry_published": _("list entry published"),
    "co_listing_started": _("co-listing condition met: the subject's other entry was published"),
    "reconciled": _("reconciliation"),
    "memorandum_change": _("memorandum changed"),
    **{value: label for value, label in Sanction.LiftReason.choices},
    # Credit record events (the reason is the registry change's kind; "repaired" is above).
    "corrected": _("the deciding agency corrected the record"),
    "withdrawn": _("the decision was revoked and the record withdrawn"),
}


class SanctionEvent(models.Model):
    """The append-only history of sanctions, and the agencies' feed. Ids are assigned under a
    transaction-level advisory lock, so they commit in increasing order: a reader paging by id
    never skips an event that commits later with a smaller id.

    The same feed carries what happened to credit records an agency holds a copy of
    (`record_corrected`, `record_withdrawn`, `record_repaired`): such a row names the record
    and the registry change it delivers instead of a sanction, and `implementing_agency` is the
    agency holding the copy (the deciding and supplying agencies and every agency whose
    consultation returned the record). Written by `services.record_change_deliver`."""

    class Kind(models.TextChoices):
        IMPOSED = "imposed", _("imposed")
        LIFTED = "lifted", _("lifted")
        RECORD_CORRECTED = "record_corrected", _("credit record corrected")
        RECORD_WITHDRAWN = "record_withdrawn", _("credit record withdrawn")
        RECORD_REPAIRED = "record_repaired", _("credit record repaired")

    # Served by the (sanction, at) and (implementing agency, id) indexes below. Enforced
    # set-based like the sanction's references (migration 0007), and more strictly: the
    # event's agency must be its sanction's.
    sanction = models.ForeignKey(
        Sanction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
        db_constraint=False,
        verbose_name=_("sanction"),
    )
    # Record events only. No index on the record: the feed reads it by primary key.
    credit_record = models.ForeignKey(
        CreditRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        # Checked set-based by a statement trigger (migration 0010), not row by row.
        db_constraint=False,
        verbose_name=_("credit record"),
    )
    # The registry outbox row delivered (served by the unique index below).
    record_change = models.ForeignKey(
        CreditRecordChange,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        # Checked set-based by a statement trigger (migration 0010), not row by row.
        db_constraint=False,
        verbose_name=_("credit record change"),
    )
    implementing_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("implementing agency"),
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    at = models.DateTimeField(
        help_text=_("When the change took legal effect."), verbose_name=_("at")
    )
    reason = models.CharField(max_length=32, blank=True, verbose_name=_("reason"))
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("sanction event")
        verbose_name_plural = _("sanction events")
        ordering = ["id"]
        indexes = [
            # Feed: one agency's events after a cursor, in id order.
            models.Index(name="sanctionevent_agency_id", fields=["implementing_agency", "id"]),
            # As-of: a sanction's events up to a date.
            models.Index(name="sanctionevent_sanction_at", fields=["sanction", "at"]),
            # A record change's events (partial: sanction rows have no change). Not unique:
            # the feed is partitioned (scs.partitioning) and a unique index would need the
            # partition key; once-only delivery is the claim in ConsumedRecordChange, taken
            # in the same transaction as the events.
            models.Index(
                name="sanctionevent_change_agency",
                fields=["record_change", "implementing_agency"],
                condition=Q(record_change__isnull=False),
            ),
        ]
        constraints = [
            # A row is either a sanction's event or a record's, never both or neither.
            models.CheckConstraint(
                name="sanctionevent_one_source",
                condition=(
                    Q(
                        sanction__isnull=False,
                        credit_record__isnull=True,
                        record_change__isnull=True,
                    )
                    | Q(
                        sanction__isnull=True,
                        credit_record__isnull=False,
                        record_change__isnull=False,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        source = self.sanction if self.sanction_id else f"record {self.credit_record_id}"
        return f"{self.get_kind_display()} · {source} · {self.at:%Y-%m-%d}"


class ConsumedOutboxEvent(models.Model):
    """Which list-entry outbox events propagation has applied. Its primary key is the event,
    so two workers racing on one event cannot both apply it."""

    event = models.OneToOneField(
        OutboxEvent,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="consumed",
        verbose_name=_("event"),
    )
    consumed_at = models.DateTimeField(default=timezone.now, verbose_name=_("consumed at"))

    class Meta:
        verbose_name = _("consumed outbox event")
        verbose_name_plural = _("consumed outbox events")


class ConsumedRecordChange(models.Model):
    """Which credit-record changes (the registry's outbox) the feed has delivered. Its primary
    key is the change, so two workers racing on one change cannot both deliver it."""

    change = models.OneToOneField(
        CreditRecordChange,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name=_("credit record change"),
    )
    consumed_at = models.DateTimeField(default=timezone.now, verbose_name=_("consumed at"))

    class Meta:
        verbose_name = _("delivered credit record change")
        verbose_name_plural = _("delivered credit record changes")


class MemorandumChange(models.Model):
    """Outbox for memorandum changes (a measure added or withdrawn, triggers changed, the
    memorandum ending): written with the change, drained by the same worker."""

    class Kind(models.TextChoices):
        MEASURE_ADDED = "measure_added", _("measure added")
        MEASURE_WITHDRAWN = "measure_withdrawn", _("measure withdrawn")
        TRIGGERS_CHANGED = "triggers_changed", _("triggering lists changed")
        DATES_CHANGED = "dates_changed", _("effective dates changed or reached")
        EDITED = "edited", _("edited in the admin")

    memorandum = models.ForeignKey(
        Memorandum, on_delete=models.PROTECT, related_name="changes", verbose_name=_("memorandum")
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    occurred_at = models.DateTimeField(default=timezone.now, verbose_name=_("occurred at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))

    class Meta:
        verbose_name = _("memorandum change")
        verbose_name_plural = _("memorandum changes")
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

    sanction = models.ForeignKey(
        Sanction, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("sanction")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name=_("outcome"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("sanction feedback")
        verbose_name_plural = _("sanction feedback")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                name="sanctionfeedback_declined_has_reason",
                condition=~Q(outcome="declined") | ~Q(reason=""),
            )
        ]
