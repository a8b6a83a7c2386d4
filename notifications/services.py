"""Writes of the notifications app: the change collector, monitoring sets, webhooks and their
delivery (docs/NOTIFICATIONS.md).

Where events come from: the collector reads the lower apps' append-only tables by cursor
(sanctions' `SanctionEvent`, lists' `OutboxEvent`, registry's public records) and writes
`SubjectChange` rows and webhook outbox rows (`WebhookEvent` + `WebhookDelivery`) in one
transaction with its cursor, so a crash re-reads and a re-read duplicates nothing (unique
constraints). Delivery claims due rows with a lease (conditional UPDATE, SKIP LOCKED), posts,
and records every attempt: a killed worker's lease lapses and the delivery is retried with
the same event id.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from blacklists.models import OutboxEvent
from notifications import signing
from notifications.models import (
    AgencyNotice,
    ChangeKind,
    DeliveryAttempt,
    EventKind,
    MembershipChange,
    MonitoredSubject,
    MonitoringSet,
    SourceCursor,
    SubjectChange,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from registry import identifiers
from registry.models import Agency, CatalogueItem, CreditRecord, RecordType, Subject, User
from sanctions.models import SanctionEvent
from scs.audit import audited

logger = logging.getLogger(__name__)

_COLLECT_LOCK = 0x0C4A6E  # one collector at a time: SubjectChange ids commit in order
BATCH = 1000


# --- cursors ----------------------------------------------------------------------------


def encode_cursor(prefix: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{prefix}:{value}".encode()).decode().rstrip("=")


def decode_cursor(prefix: str, cursor: str | None) -> int:
    """0 for no cursor; ValueError for one this server did not issue."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc
    head, _sep, tail = raw.partition(":")
    if head != prefix or not tail.isdigit():
        raise ValueError("not a cursor")
    return int(tail)


# --- the collector ----------------------------------------------------------------------


@dataclass
class _Source:
    name: str
    rows: Callable[
        [int, int], list[dict]
    ]  # (after_id, limit) -> list[dict] with id, ts, subject_id, kind, data
    # Rows of this source commit in id order (advisory lock at the writer): no settle needed.
    ordered: bool = False
    # Agencies that get a "sanctions" webhook event for a row: {row id: agency id}.
    sanction_agency: bool = False


def _sanction_rows(after: int, limit: int) -> list[dict]:
    qs = (
        # Sanctions only: credit-record events in the same feed are read from the registry.
        SanctionEvent.objects.filter(id__gt=after, sanction__isnull=False)
        .order_by("id")
        .values(
            "id",
            "kind",
            "at",
            "reason",
            "recorded_at",
            "implementing_agency_id",
            "sanction_id",
            "sanction__target_id",
            "sanction__entry_id",
            "sanction__entry__list__key",
            "sanction__measure__code",
            "sanction__measure__text",
            "sanction__measure__memorandum__document_number",
        )[:limit]
    )
    return [
        {
            "id": r["id"],
            "ts": r["recorded_at"],
            "subject_id": r["sanction__target_id"],
            "kind": ChangeKind.MEASURE_IMPOSED
            if r["kind"] == SanctionEvent.Kind.IMPOSED
            else ChangeKind.MEASURE_LIFTED,
            "agency_id": r["implementing_agency_id"],
            "data": {
                "sanction": r["sanction_id"],
                "measure": r["sanction__measure__code"],
                "measure_text": r["sanction__measure__text"],
                "memorandum": r["sanction__measure__memorandum__document_number"],
                "list_entry": r["sanction__entry_id"],
                "list": r["sanction__entry__list__key"],
                "at": r["at"].isoformat(),
                "reason": r["reason"],
            },
        }
        for r in qs
    ]


def _entry_rows(after: int, limit: int) -> list[dict]:
    qs = (
        OutboxEvent.objects.filter(id__gt=after)
        .order_by("id")
        .values(
            "id",
            "kind",
            "occurred_at",
            "entry_id",
            "entry__subject_id",
            "entry__list__key",
            "entry__end_reason",
            "entry__decision_number",
        )[:limit]
    )
    return [
        {
            "id": r["id"],
            "ts": r["occurred_at"],
            "subject_id": r["entry__subject_id"],
            "kind": ChangeKind.ENTRY_GAINED
            if r["kind"] == OutboxEvent.Kind.EFFECT_STARTED
            else ChangeKind.ENTRY_LOST,
            "data": {
                "list_entry": r["entry_id"],
                "list": r["entry__list__key"],
                "decision_number": r["entry__decision_number"],
                **(
                    {"reason": r["entry__end_reason"]}
                    if r["kind"] == OutboxEvent.Kind.EFFECT_ENDED
                    else {}
                ),
            },
        }
        for r in qs
    ]


def _record_rows(after: int, limit: int) -> list[dict]:
    """New public catalogue records: penalties (what monitoring sets watch) and the rest
    (what the rating reads)."""
    qs = (
        CreditRecord.objects.filter(
            id__gt=after,
            catalogue_item__visibility=CatalogueItem.Visibility.PUBLIC,
        )
        .order_by("id")
        .values(
            "id",
            "catalogue_item__record_type",
            "created_at",
            "subject_id",
            "decision_number",
            "decision_date",
            "title",
            "agency__subject__name",
            "publicity_ends_on",
        )[:limit]
    )
    return [
        {
            "id": r["id"],
            "ts": r["created_at"],
            "subject_id": r["subject_id"],
            "kind": ChangeKind.PENALTY_PUBLISHED
            if r["catalogue_item__record_type"] == RecordType.ADMINISTRATIVE_PENALTY
            else ChangeKind.RECORD_PUBLISHED,
            "data": {
                "record": r["id"],
                "record_type": r["catalogue_item__record_type"],
                "decision_number": r["decision_number"],
                "decision_date": r["decision_date"].isoformat(),
                "title": r["title"],
                "agency": r["agency__subject__name"],
                "publicity_ends_on": r["publicity_ends_on"].isoformat()
                if r["publicity_ends_on"]
                else None,
            },
        }
        for r in qs
    ]


SOURCES: list[_Source] = [
    _Source("sanction_events", _sanction_rows, ordered=True, sanction_agency=True),
    _Source("list_outbox", _entry_rows),
    _Source("public_records", _record_rows),
]


def register_change_source(source: _Source) -> None:
    """Hook for later capabilities (commitments, issue 13): a source reading its own
    append-only table and yielding rows of kind ChangeKind.COMMITMENT_BROKEN. Registered from
    the app's ready(); this app never imports it."""
    if all(s.name != source.name for s in SOURCES):
        SOURCES.append(source)


def _subscribers(kind: str, agency_ids) -> dict[int, list[int]]:
    """{agency id: [endpoint ids]} of active endpoints subscribed to `kind`."""
    out: dict[int, list[int]] = defaultdict(list)
    qs = WebhookEndpoint.objects.filter(
        agency_id__in=agency_ids, is_active=True, event_kinds__contains=[kind]
    ).values_list("agency_id", "pk")
    for agency_id, pk in qs:
        out[agency_id].append(pk)
    return out


def _public_identifier(agency: Agency, subject: Subject) -> str:
    if subject.is_natural_person and not agency.may_view_personal_ids:
        return identifiers.mask_resident_id(subject.identifier)
    return subject.identifier


def _queue(agency_id: int, kind: str, source: str, source_id: int, payload: dict, endpoints):
    event = WebhookEvent.objects.create(
        agency_id=agency_id, kind=kind, source=source, source_id=source_id, payload=payload
    )
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint_id=pk) for pk in endpoints]
    )
    return event


def _collect_source(source: _Source, now: datetime.datetime) -> int:
    cursor, _ = SourceCursor.objects.select_for_update().get_or_create(source=source.name)
    rows = source.rows(cursor.position, BATCH)
    if not rows:
        return 0
    existing = set(
        SubjectChange.objects.filter(
            source=source.name, source_id__in=[r["id"] for r in rows]
        ).values_list("source_id", flat=True)
    )
    fresh = [r for r in rows if r["id"] not in existing]
    changes = SubjectChange.objects.bulk_create(
        [
            SubjectChange(
                subject_id=r["subject_id"],
                kind=r["kind"],
                source=source.name,
                source_id=r["id"],
                occurred_at=r["ts"],
                data=r["data"],
            )
            for r in fresh
        ]
    )
    _fan_out(source, fresh, changes)
    # Advance past rows inserted before the settle window: any row with a smaller id was
    # inserted earlier still, so its transaction has had that long to commit.
    settle = datetime.timedelta(seconds=settings.NOTIFICATIONS_SETTLE_SECONDS)
    settled = [r["id"] for r in rows if source.ordered or r["ts"] <= now - settle]
    if settled:
        cursor.position = max(cursor.position, max(settled))
    cursor.updated_at = now
    cursor.save()
    return len(fresh)


def _fan_out(source: _Source, rows: list[dict], changes: list[SubjectChange]) -> None:
    if not rows:
        return
    subjects = Subject.objects.in_bulk({r["subject_id"] for r in rows})
    # Sanctions: to the implementing agency, if it subscribed.
    if source.sanction_agency:
        subs = _subscribers(EventKind.SANCTIONS, {r["agency_id"] for r in rows})
        agencies = Agency.objects.in_bulk(subs.keys())
        for r in rows:
            if r["agency_id"] in subs:
                agency = agencies[r["agency_id"]]
                subject = subjects[r["subject_id"]]
                imposed = r["kind"] == ChangeKind.MEASURE_IMPOSED
                _queue(
                    agency.pk,
                    "sanction.imposed" if imposed else "sanction.lifted",
                    "sanction_event",
                    r["id"],
                    {
                        "target": _public_identifier(agency, subject),
                        "target_name": subject.name,
                        **r["data"],
                    },
                    subs[agency.pk],
                )
    # Monitoring sets: every agency watching the subject, once per change.
    watchers: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    members = MonitoredSubject.objects.filter(subject_id__in=subjects.keys()).values_list(
        "subject_id", "monitoring_set_id", "monitoring_set__agency_id"
    )
    for subject_id, set_id, agency_id in members:
        watchers[subject_id][agency_id].append(set_id)
    if not watchers:
        return
    subs = _subscribers(
        EventKind.MONITORING, {a for by_agency in watchers.values() for a in by_agency}
    )
    agencies = Agency.objects.in_bulk(subs.keys())
    for change in changes:
        for agency_id, set_ids in watchers.get(change.subject_id, {}).items():
            if agency_id not in subs:
                continue
            subject = subjects[change.subject_id]
            _queue(
                agency_id,
                f"monitoring.{change.kind}",
                "subject_change",
                change.pk,
                {
                    "change": encode_cursor("mc1", change.pk),
                    "monitoring_sets": sorted(set_ids),
                    "subject": _public_identifier(agencies[agency_id], subject),
                    "subject_name": subject.name,
                    "change_kind": change.kind,
                    "occurred_at": change.occurred_at.isoformat(),
                    **change.data,
                },
                subs[agency_id],
            )


def changes_collect(*, now: datetime.datetime | None = None) -> int:
    """Read every source once more (a batch each); returns how many changes were new.
    Serialised by an advisory lock, so change ids commit in increasing order."""
    now = now or timezone.now()
    total = 0
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_COLLECT_LOCK])
        for source in SOURCES:
            total += _collect_source(source, now)
    return total


def changes_collect_all(*, max_rounds: int = 1000) -> int:
    total = 0
    for _round in range(max_rounds):
        n = changes_collect()
        total += n
        if n == 0:
            break
    return total


# --- monitoring sets --------------------------------------------------------------------


def _ensure_agency(actor: User) -> Agency:
    if actor.agency_id is None:
        raise PermissionDenied(_("Monitoring sets and webhooks belong to an agency."))
    return actor.agency


class IdentifierErrors(ValidationError):
    """Every bad identifier of a request: `.per_field` is {field: {index: [message]}} (the
    API's shape); the message list names each index (the admin's)."""

    def __init__(self, per_field: dict[str, dict[str, list[str]]]):
        self.per_field = per_field
        super().__init__(
            {
                name: [f"#{i}: {m}" for i, ms in errors.items() for m in ms]
                for name, errors in per_field.items()
            }
        )


def _resolve_identifiers(raw: list, field_name: str) -> tuple[dict[str, int], dict]:
    """{identifier: subject id} for every entry, and {field: {index: [message]}} errors for
    every bad or unknown one (all reported at once)."""
    errors: dict[str, list[str]] = {}
    codes: dict[int, str] = {}
    for i, value in enumerate(raw):
        try:
            code, _scheme = identifiers.validate_identifier(str(value))
        except identifiers.IdentifierError as exc:
            errors[str(i)] = [str(exc.message)]
            continue
        codes[i] = code
    found: dict[str, int] = {}
    unique = sorted(set(codes.values()))
    for start in range(0, len(unique), 10000):
        chunk = unique[start : start + 10000]
        found.update(Subject.objects.filter(identifier__in=chunk).values_list("identifier", "pk"))
    for i, code in codes.items():
        if code not in found:
            errors[str(i)] = [_("No subject is registered under this identifier.")]
    return found, ({field_name: errors} if errors else {})


@transaction.atomic
def monitoring_set_create(
    *, actor: User, name: str, description: str = "", identifiers_to_add: list | None = None
) -> MonitoringSet:
    agency = _ensure_agency(actor)
    mset = MonitoringSet(agency=agency, name=name, description=description, created_by=actor)
    mset.full_clean()
    with audited(actor, "monitoring set created"):
        mset.save()
        if identifiers_to_add:
            monitoring_set_members_change(actor=actor, monitoring_set=mset, add=identifiers_to_add)
    return mset


@transaction.atomic
def monitoring_set_members_change(
    *,
    actor: User,
    monitoring_set: MonitoringSet,
    add: list | None = None,
    remove: list | None = None,
    reason: str = "members changed",
) -> dict:
    """Add and remove subjects by identifier. Every bad identifier is reported at once and
    nothing is changed; at most settings.MONITORING_SET_MAX_SUBJECTS members.
    Returns {"added": n, "removed": n, "size": n}."""
    if monitoring_set.agency_id != actor.agency_id:
        raise PermissionDenied(_("This monitoring set belongs to another agency."))
    add, remove = list(add or []), list(remove or [])
    limit = settings.MONITORING_SET_MAX_SUBJECTS
    if len(add) > limit or len(remove) > limit:
        raise ValidationError({"add": [_("At most %(n)d identifiers at once.") % {"n": limit}]})
    # Serialise changes to one set: the size check below must see the other's additions.
    MonitoringSet.objects.select_for_update().filter(pk=monitoring_set.pk).first()
    to_add, add_errors = _resolve_identifiers(add, "add")
    to_remove, remove_errors = _resolve_identifiers(remove, "remove")
    if add_errors or remove_errors:
        raise IdentifierErrors({**add_errors, **remove_errors})
    members = MonitoredSubject.objects.filter(monitoring_set=monitoring_set)
    remove_ids = list(to_remove.values())
    removed_ids = list(
        members.filter(subject_id__in=remove_ids).values_list("subject_id", flat=True)
    )
    members.filter(subject_id__in=removed_ids).delete()
    present = set(
        members.filter(subject_id__in=list(to_add.values())).values_list("subject_id", flat=True)
    )
    added_ids = sorted({pk for pk in to_add.values() if pk not in present})
    MonitoredSubject.objects.bulk_create(
        [MonitoredSubject(monitoring_set=monitoring_set, subject_id=pk) for pk in added_ids],
        batch_size=5000,
    )
    size = members.count()
    if size > limit:
        raise ValidationError(
            {"add": [_("A monitoring set holds at most %(n)d subjects.") % {"n": limit}]}
        )
    if added_ids or removed_ids:
        MembershipChange.objects.create(
            monitoring_set=monitoring_set,
            set_name=monitoring_set.name,
            agency_id=monitoring_set.agency_id,
            actor=actor,
            reason=reason,
            added=added_ids,
            removed=sorted(removed_ids),
        )
    return {"added": len(added_ids), "removed": len(removed_ids), "size": size}


@transaction.atomic
def monitoring_set_delete(*, actor: User, monitoring_set: MonitoringSet) -> None:
    if monitoring_set.agency_id != actor.agency_id:
        raise PermissionDenied(_("This monitoring set belongs to another agency."))
    members = MonitoredSubject.objects.filter(monitoring_set=monitoring_set)
    MembershipChange.objects.create(
        monitoring_set=monitoring_set,
        set_name=monitoring_set.name,
        agency_id=monitoring_set.agency_id,
        actor=actor,
        reason="set deleted",
        removed=sorted(members.values_list("subject_id", flat=True)),
    )
    with audited(actor, "monitoring set deleted"):
        members.delete()
        monitoring_set.delete()


# --- webhooks ---------------------------------------------------------------------------


@transaction.atomic
def webhook_create(
    *, actor: User, url: str, secret: str, event_kinds: list[str]
) -> WebhookEndpoint:
    agency = _ensure_agency(actor)
    signing.check_target(url)
    if len(secret or "") < 16:
        raise ValidationError({"secret": [_("Use a secret of at least 16 characters.")]})
    endpoint = WebhookEndpoint(
        agency=agency,
        url=url,
        secret=secret,
        event_kinds=sorted(set(event_kinds)),
        created_by=actor,
    )
    endpoint.full_clean()
    with audited(actor, "webhook registered"):
        endpoint.save()
    return endpoint


def _own(actor: User, endpoint: WebhookEndpoint) -> None:
    if endpoint.agency_id != actor.agency_id:
        raise PermissionDenied(_("This webhook belongs to another agency."))


@transaction.atomic
def webhook_deactivate(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _own(actor, endpoint)
    with audited(actor, "webhook deactivated"):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def webhook_resume(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Un-pause: pending deliveries are tried again at once."""
    _own(actor, endpoint)
    with audited(actor, "webhook resumed"):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, paused_at=None, failing_since=None
        )
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def webhook_ping(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEvent:
    """A test event through the same outbox and signing path."""
    _own(actor, endpoint)
    event = _queue(
        endpoint.agency_id,
        "ping",
        "ping",
        endpoint.pk,
        {"webhook": endpoint.pk, "message": "ping"},
        [endpoint.pk],
    )
    _nudge()
    return event


@transaction.atomic
def webhook_replay(*, actor: User, endpoint: WebhookEndpoint, after: int) -> int:
    """Send again every delivery of this endpoint after a delivery cursor, with the same
    event ids (receivers deduplicate on them). Returns how many were queued."""
    _own(actor, endpoint)
    with audited(actor, "webhook deliveries replayed"):
        n = endpoint.deliveries.filter(id__gt=after).update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=timezone.now(),
            first_attempt_at=None,
            attempts=0,
        )
    _nudge()
    return n


def _nudge() -> None:
    from scs.messaging import enqueue_after_commit

    enqueue_after_commit("notifications.tasks.deliver_webhooks")


# --- delivery ---------------------------------------------------------------------------


def deliveries_claim(limit: int = 50, *, now: datetime.datetime | None = None) -> list[int]:
    """Due deliveries of active endpoints, leased to this worker (next_attempt_at pushed by
    WEBHOOK_LEASE_SECONDS). A worker that dies mid-delivery leaves the lease to lapse."""
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            UPDATE notifications_webhookdelivery d SET next_attempt_at = %s
            WHERE d.id IN (
                SELECT d2.id FROM notifications_webhookdelivery d2
                JOIN notifications_webhookendpoint e ON e.id = d2.endpoint_id
                WHERE d2.status = 'pending' AND d2.next_attempt_at <= %s
                  AND e.is_active AND e.paused_at IS NULL
                ORDER BY d2.next_attempt_at, d2.id
                LIMIT %s
                FOR UPDATE OF d2 SKIP LOCKED
            )
            RETURNING d.id
            """,
            [lease, now, limit],
        )
        return sorted(row[0] for row in cur.fetchall())


def request_body(event: WebhookEvent) -> bytes:
    """The JSON body: the same bytes on every attempt and replay."""
    body = {
        "id": str(event.event_id),
        "kind": event.kind,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _post(url: str, body: bytes, headers: dict) -> int:
    """POST without following redirects; the response code (raises OSError on failure)."""
    parts = urlsplit(url)
    conn_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_class(parts.hostname, parts.port, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)
        return response.status
    finally:
        conn.close()


def backoff(attempts: int) -> datetime.timedelta:
    """Exponential: base × 2^(n-1), capped at WEBHOOK_BACKOFF_MAX_SECONDS."""
    seconds = settings.WEBHOOK_BACKOFF_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return datetime.timedelta(seconds=min(seconds, settings.WEBHOOK_BACKOFF_MAX_SECONDS))


def delivery_attempt(*, delivery_id: int) -> bool:
    """Try one leased delivery once; record the attempt; True if delivered."""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return delivery.status == WebhookDelivery.Status.DELIVERED
    endpoint, event = delivery.endpoint, delivery.event
    body = request_body(event)
    started = timezone.now()
    clock = time.monotonic()
    code, error = None, ""
    try:
        signing.check_target(endpoint.url)
        code = _post(
            endpoint.url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "scs-webhooks/1",
                signing.ID_HEADER: str(event.event_id),
                signing.TIMESTAMP_HEADER: str(int(started.timestamp())),
                signing.SIGNATURE_HEADER: signing.sign(endpoint.secret, body),
            },
        )
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except ValidationError as exc:
        error = "; ".join(m for ms in exc.message_dict.values() for m in ms)[:500]
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    ok = not error
    latency = int((time.monotonic() - clock) * 1000)
    _record(delivery, endpoint, started, latency, code, ok, error)
    return ok


@transaction.atomic
def _record(delivery, endpoint, started, latency, code, ok, error) -> None:
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=started,
        latency_ms=latency,
        response_code=code,
        ok=ok,
        error=error,
    )
    delivery.attempts = F("attempts") + 1
    delivery.first_attempt_at = delivery.first_attempt_at or started
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.save()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return
    delivery.save()
    delivery.refresh_from_db()
    give_up = now - delivery.first_attempt_at >= datetime.timedelta(
        seconds=settings.WEBHOOK_RETRY_FOR_SECONDS
    )
    if give_up:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(update_fields=["status", "next_attempt_at"])
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.failing_since is None:
        endpoint.failing_since = started
        endpoint.save(update_fields=["failing_since"])
    elif endpoint.paused_at is None and now - endpoint.failing_since >= datetime.timedelta(
        seconds=settings.WEBHOOK_PAUSE_AFTER_SECONDS
    ):
        _pause(endpoint, now, error)


def _pause(endpoint: WebhookEndpoint, now: datetime.datetime, error: str) -> None:
    with audited(None, "webhook paused after failing"):
        endpoint.paused_at = now
        endpoint.save(update_fields=["paused_at"])
    subject_line = f"Webhook paused: {endpoint.url}"
    body = (
        f"The webhook {endpoint.url} (#{endpoint.pk}) has failed since "
        f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC and is paused. Last error: {error}. "
        "Fix the receiver, then resume it (POST /api/v1/webhooks/{id}/resume/ or the admin); "
        "pending deliveries are kept and replay from any cursor is possible."
    )
    AgencyNotice.objects.create(agency=endpoint.agency, subject_line=subject_line, body=body)
    admins = list(
        User.objects.filter(
            agency=endpoint.agency, role=User.Role.ADMIN, is_active=True, is_system=False
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if admins:
        transaction.on_commit(
            lambda: send_mail(subject_line, body, None, admins, fail_silently=True)
        )


def deliver_due(*, limit: int = 50, rounds: int | None = None) -> int:
    """Claim and attempt due deliveries until none is due (or `rounds` batches)."""
    done = 0
    n = 0
    while rounds is None or n < rounds:
        n += 1
        ids = deliveries_claim(limit)
        if not ids:
            break
        for pk in ids:
            delivery_attempt(delivery_id=pk)
            done += 1
    return done
