"""Writes of the sanctions app: propagation from the lists' outbox, memorandum changes,
reconciliation and agencies' feedback."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from blacklists.models import ListDefinition, OutboxEvent
from registry.models import Agency, CreditRecordChange, User
from sanctions import propagation
from sanctions.models import (
    ConsumedOutboxEvent,
    ConsumedRecordChange,
    Measure,
    Memorandum,
    MemorandumChange,
    Sanction,
    SanctionFeedback,
)
from scs.audit import audited
from scs.messaging import enqueue_after_commit

# --- consuming the lists' outbox --------------------------------------------------------


@dataclass(frozen=True)
class OutboxBatch:
    """What one pass over the lists' outbox did: events claimed, sanctions changed."""

    claimed: int
    changed: int


_CO_LISTED_SQL = """
    SELECT DISTINCT e.id
      FROM blacklists_listentry b
      JOIN sanctions_measurecolisting c ON c.list_id = b.list_id
      JOIN sanctions_measure m ON m.id = c.measure_id
      JOIN sanctions_memorandum_triggering_lists t ON t.memorandum_id = m.memorandum_id
      JOIN blacklists_listentry e
        ON e.subject_id = b.subject_id AND e.list_id = t.listdefinition_id
     WHERE b.id = ANY(%(ids)s::bigint[])
       AND e.state = 'published' AND NOT e.id = ANY(%(ids)s::bigint[])
     ORDER BY e.id
"""


def _co_listed_entries(entry_ids: Sequence[int]) -> tuple[int, ...]:
    """The subjects' other published entries that carry a measure whose co-listing condition
    names the list of one of these entries: these entries starting or ending changes what
    those impose (issue 9 §1: both directions are events). One query (it was three, one an
    OR of a join per entry, ≈13 % of a bulk load's time when the seed has a co-listing
    condition on the list)."""
    with connection.cursor() as cur:
        cur.execute(_CO_LISTED_SQL, {"ids": list(entry_ids)})
        return tuple(row[0] for row in cur.fetchall())


def outbox_batch_size() -> int:
    """Events applied per transaction (settings.SANCTIONS_OUTBOX_BATCH, default 100): large
    enough that imposition is set-based, small enough that a clerk's single entry waits for at
    most one batch of someone else's bulk load."""
    return int(getattr(settings, "SANCTIONS_OUTBOX_BATCH", 100))


def outbox_next_batch_size(size: int, seconds: float) -> int:
    """The backlog chain's next batch size (events) after a full batch of `size` events took
    `seconds`: scaled towards settings.SANCTIONS_OUTBOX_BATCH_SECONDS (default 0.3 s), at most
    doubled or halved per step, between the starting size (SANCTIONS_OUTBOX_BATCH) and
    SANCTIONS_OUTBOX_BATCH_MAX (default 2000).

    Why: each batch pays a fixed cost (feed lock, claim, commit, one Celery round trip), so a
    bulk load wants large batches; a clerk's single entry waits behind at most one batch, so
    the batch's duration, not its event count, is what must stay bounded (issue 14: p95 < 1 s
    while a bulk load runs). Memoranda carry from one to dozens of measures, so a fixed event
    count gives batches of very different durations."""
    target = float(getattr(settings, "SANCTIONS_OUTBOX_BATCH_SECONDS", 0.3))
    smallest = outbox_batch_size()
    largest = max(smallest, int(getattr(settings, "SANCTIONS_OUTBOX_BATCH_MAX", 2000)))
    scaled = size * target / max(seconds, 1e-3)
    scaled = min(max(scaled, size / 2), size * 2)
    return int(min(max(scaled, smallest), largest))


_CLAIM_SQL = """
    WITH wanted AS (
        SELECT o.id FROM blacklists_outboxevent o WHERE o.id = ANY(%(ids)s::bigint[])
        UNION
        (SELECT o.id FROM blacklists_outboxevent o
          WHERE NOT EXISTS (SELECT 1 FROM sanctions_consumedoutboxevent c WHERE c.event_id = o.id)
          ORDER BY o.id LIMIT %(fill)s)
    ),
    claimed AS (
        INSERT INTO sanctions_consumedoutboxevent (event_id, consumed_at)
        SELECT id, now() FROM wanted ORDER BY id
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    )
    SELECT o.id, o.entry_id, o.kind, o.occurred_at, e.end_reason
      FROM claimed c
      JOIN blacklists_outboxevent o ON o.id = c.event_id
      JOIN blacklists_listentry e ON e.id = o.entry_id
     ORDER BY o.id
"""

# An end claimed before its start: claim the start too, so it is applied first.
_CLAIM_STARTS_SQL = """
    WITH claimed AS (
        INSERT INTO sanctions_consumedoutboxevent (event_id, consumed_at)
        SELECT o.id, now() FROM blacklists_outboxevent o
         WHERE o.entry_id = ANY(%(entries)s::bigint[]) AND o.kind = %(kind)s
         ORDER BY o.id
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    )
    SELECT o.id, o.entry_id, o.kind, o.occurred_at, ''
      FROM claimed c JOIN blacklists_outboxevent o ON o.id = c.event_id
"""


def _any_pending(event_ids: Sequence[int]) -> bool:
    """Whether one of the events is not consumed yet (without the lock: a claim that commits
    meanwhile is caught by the claim itself, ON CONFLICT DO NOTHING)."""
    if not event_ids:
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM unnest(%s::bigint[]) AS n(id) WHERE NOT EXISTS ("
            "SELECT 1 FROM sanctions_consumedoutboxevent c WHERE c.event_id = n.id))",
            [list(event_ids)],
        )
        return cur.fetchone()[0]


@transaction.atomic
def outbox_events_process(*, event_ids: Sequence[int] = (), fill: int = 0) -> OutboxBatch:
    """Apply the named outbox events and up to `fill` more pending ones (oldest first), each
    exactly once, set-based: one INSERT … SELECT for every start of the batch (per local
    date), one UPDATE for every end.

    Exactly once: claiming is an INSERT … ON CONFLICT DO NOTHING into the consumed-events
    table in the same transaction as the effect, taken under the feed's advisory lock (so two
    workers never wait on each other's claims, and feed ids still commit in order). An end
    whose start was never applied gets its start applied first, so the history keeps the
    interval in which the entry was in force. Events already consumed are skipped."""
    if not fill and not _any_pending(event_ids):
        # A nudge whose events a backlog batch already applied: nothing to wait for the feed
        # lock for (it would queue behind the batch holding it, and a clerk's nudge behind it).
        return OutboxBatch(claimed=0, changed=0)
    propagation.lock_feed()  # serialises writers of sanctions: feed ids commit in order
    with connection.cursor() as cur:
        cur.execute(_CLAIM_SQL, {"ids": list(event_ids), "fill": fill})
        events = cur.fetchall()
        ended_entries = [e[1] for e in events if e[2] == OutboxEvent.Kind.EFFECT_ENDED]
        if ended_entries:
            cur.execute(
                _CLAIM_STARTS_SQL,
                {"entries": ended_entries, "kind": OutboxEvent.Kind.EFFECT_STARTED},
            )
            events = cur.fetchall() + events
    if not events:
        return OutboxBatch(claimed=0, changed=0)
    starts: dict[datetime.date, dict[int, datetime.datetime]] = defaultdict(dict)
    ends: dict[int, tuple[datetime.datetime, str]] = {}
    for _id, entry_id, kind, occurred_at, end_reason in events:
        if kind == OutboxEvent.Kind.EFFECT_STARTED:
            starts[timezone.localdate(occurred_at)][entry_id] = occurred_at
        else:
            ends[entry_id] = (occurred_at, end_reason or "revoked")
    ids = sorted(e[0] for e in events)
    changed = 0
    with audited(None, f"outbox events {ids[0]}..{ids[-1]} ({len(ids)})"):
        for on, at_by_entry in sorted(starts.items()):
            scope = propagation.Scope(entry_ids=tuple(at_by_entry), require_in_force=False)
            changed += propagation.impose(
                scope,
                on=on,
                at=min(at_by_entry.values()),
                reason="entry_published",
                at_by_entry=at_by_entry,
            )
        changed += propagation.lift_entries(ends)
        # Conditional measures of the subjects' other entries (co-listing): the second
        # entry's publication starts them, either entry ending ends them.
        others = _co_listed_entries([e[1] for e in events])
        if others:
            at = max(e[3] for e in events)
            scope = propagation.Scope(entry_ids=others)
            on = timezone.localdate(at)
            changed += propagation.impose(scope, on=on, at=at, reason="co_listing_started")
            changed += propagation.lift_unexpected(scope, on=on, at=at)
    return OutboxBatch(claimed=len(events), changed=changed)


def outbox_event_process(*, event_id: int) -> int:
    """Apply one outbox event exactly once (and its start first, if it is an end whose start
    is pending). Returns how many sanctions changed."""
    return outbox_events_process(event_ids=[event_id]).changed


def outbox_warm_up() -> None:
    """Plan (EXPLAIN, nothing runs) the statements of an outbox batch: a worker process calls
    it once after it starts, so that its first batch finds the catalogue already loaded."""
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + _CLAIM_SQL, {"ids": [0], "fill": 1})
        cur.execute("EXPLAIN " + _CO_LISTED_SQL, {"ids": [0]})
    propagation.warm_up()


def pending_outbox_events(limit: int = 1000) -> list[int]:
    consumed = ConsumedOutboxEvent.objects.filter(event_id=OuterRef("pk"))
    return list(
        OutboxEvent.objects.filter(~Exists(consumed))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


# --- credit-record changes to the agencies holding copies -------------------------------

_RECORD_CLAIM_SQL = """
    INSERT INTO sanctions_consumedrecordchange (change_id, consumed_at)
    SELECT c.id, now() FROM registry_creditrecordchange c
     WHERE c.id = ANY(%(changes)s::bigint[]) AND c.kind = ANY(%(kinds)s::varchar[])
     ORDER BY c.id
    ON CONFLICT (change_id) DO NOTHING
    RETURNING change_id
"""

_RECORD_EVENTS_SQL = """
    INSERT INTO sanctions_sanctionevent
        (sanction_id, credit_record_id, record_change_id, implementing_agency_id, kind, at,
         reason, recorded_at)
    SELECT NULL, c.record_id, c.id, h.agency_id, 'record_' || c.kind, c.at, c.kind, now()
      FROM unnest(%(changes)s::bigint[], %(agencies)s::bigint[]) AS h(change_id, agency_id)
      JOIN registry_creditrecordchange c ON c.id = h.change_id
     WHERE h.change_id = ANY(%(claimed)s::bigint[])
     ORDER BY c.id, h.agency_id
"""


@transaction.atomic
def record_changes_deliver(*, holders: Mapping[int, Iterable[int]]) -> int:
    """Put credit-record changes (registry `CreditRecordChange` rows of a kind in
    `TO_HOLDERS`) into the feed of each agency holding a copy: `holders` is {change id:
    [agency id, …]}, decided by the caller (the sharing app knows who consulted a record).
    Each becomes `record_corrected`, `record_withdrawn` or `record_repaired` at the change's
    time. Returns the events written; a change already delivered (a redelivered nudge, the
    sweep racing it) or of another kind writes nothing.

    Exactly once, like the lists' outbox: claiming a change is an INSERT … ON CONFLICT DO
    NOTHING in the same transaction as its events, under the feed's advisory lock, so ids
    commit in order and one cursor serves sanction and record events alike. Set-based: one claim
    and one insert per call, whatever the number of changes."""
    pairs = sorted({(int(c), int(a)) for c, agencies in holders.items() for a in agencies})
    if not holders:
        return 0
    propagation.lock_feed()  # feed ids commit in order (the sanction writers' lock)
    with connection.cursor() as cur:
        cur.execute(
            _RECORD_CLAIM_SQL,
            {
                "changes": sorted(int(c) for c in holders),
                "kinds": [str(k) for k in CreditRecordChange.TO_HOLDERS],
            },
        )
        claimed = [row[0] for row in cur.fetchall()]
        if not claimed or not pairs:
            return 0
        cur.execute(
            _RECORD_EVENTS_SQL,
            {
                "changes": [c for c, _a in pairs],
                "agencies": [a for _c, a in pairs],
                "claimed": claimed,
            },
        )
        return cur.rowcount


def record_change_deliver(*, change_id: int, holders: Iterable[int]) -> int:
    """One change to its holders (`record_changes_deliver` for a single change)."""
    return record_changes_deliver(holders={change_id: list(holders)})


def pending_record_changes(limit: int = 1000) -> list[int]:
    """Ids of changes holders must hear of that the feed has not delivered, oldest first (the
    partial `creditrecordchange_to_holders` index, anti-joined to the claims)."""
    delivered = ConsumedRecordChange.objects.filter(change_id=OuterRef("pk"))
    return list(
        CreditRecordChange.objects.filter(kind__in=CreditRecordChange.TO_HOLDERS)
        .filter(~Exists(delivered))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


# --- memoranda --------------------------------------------------------------------------


def _ensure_operator(actor: User | None) -> None:
    """Memoranda are national instruments: maintained by the platform operator."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(gettext("Memoranda are maintained by the platform operator."))


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
        raise ValidationError({"measure": gettext("This measure is already withdrawn.")})
    if not reason.strip():
        raise ValidationError({"reason": gettext("Say why the measure is withdrawn.")})
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
        raise PermissionDenied(gettext("Only the implementing agency reports on this sanction."))
    if outcome not in SanctionFeedback.Outcome.values:
        raise ValidationError(
            {
                "outcome": gettext("Choose one of: %(choices)s.")
                % {"choices": ", ".join(SanctionFeedback.Outcome.values)}
            }
        )
    if outcome == SanctionFeedback.Outcome.DECLINED:
        if sanction.measure.mandatory:
            raise ValidationError(
                {
                    "outcome": gettext(
                        "A mandatory measure cannot be declined; only discretionary ones."
                    )
                }
            )
        if not reason.strip():
            raise ValidationError({"reason": gettext("Say why the measure was declined.")})
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
