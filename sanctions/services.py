"""Writes of the sanctions app: propagation from the lists' outbox, memorandum changes,
reconciliation and agencies' feedback."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from blacklists.models import ListDefinition, ListEntry, OutboxEvent
from registry.models import Agency, User
from sanctions import propagation
from sanctions.models import (
    ConsumedOutboxEvent,
    Measure,
    MeasureCoListing,
    Memorandum,
    MemorandumChange,
    Sanction,
    SanctionFeedback,
)
from scs.audit import audited
from scs.messaging import enqueue_after_commit

# --- consuming the lists' outbox --------------------------------------------------------


def _claim(event_id: int) -> bool:
    """Record the event as consumed; False if another worker already did (the insert waits
    for a concurrent claimant's commit, then finds the row)."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO sanctions_consumedoutboxevent (event_id, consumed_at) VALUES (%s, now()) "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [event_id],
        )
        return cur.fetchone() is not None


def _co_listed_entries(entry: ListEntry) -> tuple[int, ...]:
    """The subject's other published entries that carry a measure whose co-listing condition
    names this entry's list: this entry starting or ending changes what they impose."""
    if not MeasureCoListing.objects.filter(list_id=entry.list_id).exists():
        return ()
    return tuple(
        ListEntry.objects.in_force()
        .filter(subject_id=entry.subject_id)
        .exclude(pk=entry.pk)
        .filter(
            list__memoranda__measures__co_listings__list_id=entry.list_id,
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def _apply(event: OutboxEvent) -> int:
    """Apply a start or an end, both ways: the entry's own sanctions, and those of the
    subject's other entries whose measures are conditional on being co-listed here (the
    second entry's publication starts them; either entry ending ends them)."""
    entry = event.entry
    at = event.occurred_at
    on = timezone.localdate(at)
    others = _co_listed_entries(entry)
    if event.kind == OutboxEvent.Kind.EFFECT_STARTED:
        scope = propagation.Scope(entry_ids=(entry.pk,), require_in_force=False)
        changed = propagation.impose(scope, on=on, at=at, reason="entry_published")
        if others:
            changed += propagation.impose(
                propagation.Scope(entry_ids=others), on=on, at=at, reason="co_listing_started"
            )
        return changed
    changed = propagation.lift_entry(entry.pk, at=at, reason=entry.end_reason or "revoked")
    if others:
        changed += propagation.lift_unexpected(propagation.Scope(entry_ids=others), on=on, at=at)
    return changed


@transaction.atomic
def outbox_event_process(*, event_id: int) -> int:
    """Apply one outbox event exactly once. An end processed before its start applies the
    start first, so the recorded history keeps the interval in which the entry was in force."""
    event = OutboxEvent.objects.select_related("entry").filter(pk=event_id).first()
    if event is None:
        return 0
    changed = 0
    if event.kind == OutboxEvent.Kind.EFFECT_ENDED:
        start = OutboxEvent.objects.filter(
            entry_id=event.entry_id, kind=OutboxEvent.Kind.EFFECT_STARTED
        ).first()
        if start is not None and _claim(start.pk):
            changed += _apply(start)
    if not _claim(event.pk):
        return changed
    with audited(None, f"outbox event {event.pk} ({event.kind})"):
        changed += _apply(event)
    return changed


def pending_outbox_events(limit: int = 1000) -> list[int]:
    consumed = ConsumedOutboxEvent.objects.filter(event_id=OuterRef("pk"))
    return list(
        OutboxEvent.objects.filter(~Exists(consumed))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


# --- memoranda --------------------------------------------------------------------------


def _ensure_operator(actor: User | None) -> None:
    """Memoranda are national instruments: maintained by the platform operator."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied("Memoranda are maintained by the platform operator.")


def _record_change(memorandum: Memorandum, kind: str) -> MemorandumChange:
    change = MemorandumChange.objects.create(memorandum=memorandum, kind=kind)
    enqueue_after_commit("sanctions.tasks.process_memorandum_change", change.pk)
    return change


@transaction.atomic
def memorandum_save(
    *,
    actor: User | None,
    memorandum: Memorandum,
    signatories: list[Agency] | None = None,
    triggering_lists: list[ListDefinition] | None = None,
    reason: str = "memorandum saved",
) -> Memorandum:
    _ensure_operator(actor)
    memorandum.full_clean()
    creating = memorandum.pk is None
    before = None if creating else Memorandum.objects.select_for_update().get(pk=memorandum.pk)
    with audited(actor, reason):
        memorandum.save()
        if signatories is not None:
            memorandum.signatories.set(signatories)
        if triggering_lists is not None:
            old = (
                set() if creating else set(memorandum.triggering_lists.values_list("pk", flat=True))
            )
            memorandum.triggering_lists.set(triggering_lists)
            if {lst.pk for lst in triggering_lists} != old:
                _record_change(memorandum, MemorandumChange.Kind.TRIGGERS_CHANGED)
        if before is not None and (
            before.effective_from != memorandum.effective_from
            or before.effective_until != memorandum.effective_until
        ):
            _record_change(memorandum, MemorandumChange.Kind.DATES_CHANGED)
    return memorandum


@transaction.atomic
def request_memorandum_sync(*, memorandum: Memorandum) -> MemorandumChange:
    """After an edit whose effect on measures is not itemised (the admin's inlines)."""
    return _record_change(memorandum, MemorandumChange.Kind.EDITED)


@transaction.atomic
def measure_add(*, actor: User | None, measure: Measure, reason: str = "measure added") -> Measure:
    _ensure_operator(actor)
    measure.full_clean()
    with audited(actor, reason):
        measure.save()
        _record_change(measure.memorandum, MemorandumChange.Kind.MEASURE_ADDED)
    return measure


@transaction.atomic
def measure_withdraw(*, actor: User | None, measure: Measure, reason: str) -> Measure:
    _ensure_operator(actor)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.withdrawn_at is not None:
        raise ValidationError({"measure": "This measure is already withdrawn."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the measure is withdrawn."})
    with audited(actor, reason):
        measure.withdrawn_at = timezone.now()
        measure.save(update_fields=["withdrawn_at"])
        _record_change(measure.memorandum, MemorandumChange.Kind.MEASURE_WITHDRAWN)
    return measure


@transaction.atomic
def memorandum_sync(
    *, memorandum_id: int, on: datetime.date | None = None, reason: str = "memorandum_change"
) -> tuple[int, int]:
    """Impose and lift so that this memorandum's sanctions match the entries in force."""
    now = timezone.now()
    on = on or timezone.localdate(now)
    scope = propagation.Scope(memorandum_id=memorandum_id)
    with audited(None, f"memorandum {memorandum_id} synchronised"):
        imposed = propagation.impose(scope, on=on, at=now, reason=reason)
        lifted = propagation.lift_unexpected(scope, on=on, at=now)
    return imposed, lifted


@transaction.atomic
def memorandum_change_process(*, change_id: int) -> tuple[int, int]:
    # Claim with a conditional update: a second worker finds nothing to do.
    claimed = MemorandumChange.objects.filter(pk=change_id, processed_at__isnull=True).update(
        processed_at=timezone.now()
    )
    if not claimed:
        return 0, 0
    change = MemorandumChange.objects.get(pk=change_id)
    return memorandum_sync(memorandum_id=change.memorandum_id)


def memoranda_boundary_changes(on: datetime.date) -> int:
    """A memorandum that took or lost effect in the last two days gets one DATES_CHANGED
    change (processed like any other), unless it already has one since that day."""
    window = on - datetime.timedelta(days=2)
    due = Memorandum.objects.filter(
        Q(effective_from__gt=window, effective_from__lte=on)
        | Q(effective_until__gt=window, effective_until__lte=on)
    )
    created = 0
    for memorandum in due:
        boundary = max(
            d
            for d in (memorandum.effective_from, memorandum.effective_until)
            if d is not None and window < d <= on
        )
        since = timezone.make_aware(datetime.datetime.combine(boundary, datetime.time.min))
        with transaction.atomic():
            recorded = memorandum.changes.filter(
                kind=MemorandumChange.Kind.DATES_CHANGED, occurred_at__gte=since
            )
            if not recorded.select_for_update().exists():
                _record_change(memorandum, MemorandumChange.Kind.DATES_CHANGED)
                created += 1
    return created


# --- reconciliation ---------------------------------------------------------------------


def reconcile(*, fix: bool, on: datetime.date | None = None) -> propagation.Drift:
    """Recompute expected sanctions for everything in force; with fix, repair the drift."""
    on = on or timezone.localdate()
    scope = propagation.Scope()
    found = propagation.drift(scope, on=on)
    if fix and found.total:
        now = timezone.now()
        with transaction.atomic(), audited(None, "reconciliation"):
            propagation.impose(scope, on=on, at=now, reason="reconciled")
            propagation.lift_unexpected(scope, on=on, at=now)
    return found


# --- feedback from implementing agencies ------------------------------------------------


@transaction.atomic
def sanction_feedback_record(
    *, actor: User, sanction: Sanction, outcome: str, reason: str = ""
) -> SanctionFeedback:
    if not actor.is_superuser and actor.agency_id != sanction.implementing_agency_id:
        raise PermissionDenied("Only the implementing agency reports on this sanction.")
    if outcome not in SanctionFeedback.Outcome.values:
        raise ValidationError(
            {"outcome": f"Choose one of {', '.join(SanctionFeedback.Outcome.values)}."}
        )
    if outcome == SanctionFeedback.Outcome.DECLINED:
        if sanction.measure.mandatory:
            raise ValidationError(
                {"outcome": "A mandatory measure cannot be declined; only discretionary ones."}
            )
        if not reason.strip():
            raise ValidationError({"reason": "Say why the measure was declined."})
    feedback = SanctionFeedback(
        sanction=sanction,
        agency_id=sanction.implementing_agency_id,
        outcome=outcome,
        reason=reason,
        recorded_by=actor,
    )
    feedback.full_clean()
    with audited(actor, f"feedback: {outcome}"):
        feedback.save()
    return feedback
