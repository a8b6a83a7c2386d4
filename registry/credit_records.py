"""The one write path for credit records: create, confirm, correct, withdraw, repair.

The admin, bulk imports and the agency API all call these services (issue 9 §2, issue 12).
Rules, each checked here and nowhere else:

- A user files a record only under a catalogue item their agency supplies, as the deciding
  agency or for one of its subordinate agencies (DOMAIN.md §2, seed 002: "information is
  collected by the administrative level having jurisdiction").
- Negative records of items that require review are published only once a reviewer of the
  filing agency, other than its maker, confirms them (maker-checker, as for list entries).
- One record per (deciding agency, catalogue item, decision number): a resubmission of the
  same record changes nothing; a different body for the same key is a `RecordConflict`.
- Double publicity: a record arrives within 7 working days of its decision or is flagged late
  (State Council General Office, 2016 notice on "double publicity" of administrative licences
  and penalties: publication within 7 working days of the decision).
- Corrections keep the previous version in the history (pghistory), with the reason;
  withdrawals (decision revoked by reconsideration or a court) stop publication at once.

Every change runs in a transaction under `scs.audit.audited()` and writes a
`CreditRecordChange` outbox row, which consumers (the sharing app's change feed) read.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from registry.models import (
    Agency,
    CatalogueItem,
    CreditRecord,
    CreditRecordChange,
    Subject,
    User,
)
from registry.workdays import add_working_days
from scs.audit import audited
from scs.messaging import enqueue_after_commit

TIMELY_WORKING_DAYS = 7

# Fields a correction may change (the key fields and the subject never change: a wrong key is
# a withdrawal plus a new record).
CORRECTABLE = (
    "title",
    "content",
    "legal_basis",
    "decision_date",
    "severity",
    "penalty_kind",
    "amount_yuan",
    "licence_kind",
    "valid_from",
    "valid_until",
)


class RecordConflict(Exception):
    """The key (deciding agency, item, decision number) is taken by a different record."""

    def __init__(self, record: CreditRecord, differences: list[str]):
        super().__init__(f"credit record {record.pk} differs in {', '.join(differences)}")
        self.record = record
        self.differences = differences


@dataclass
class RecordInput:
    """One record as supplied (API, bulk file or admin form), already parsed to Python types."""

    subject: Subject
    catalogue_item: CatalogueItem
    decision_number: str
    decision_date: datetime.date
    content: str
    deciding_agency: Agency | None = None
    title: str = ""
    legal_basis: str = ""
    severity: str = ""
    penalty_kind: str = ""
    amount_yuan: decimal.Decimal | None = None
    licence_kind: str = ""
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    extra: dict = field(default_factory=dict)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in CORRECTABLE}


def ensure_may_file(actor: User, item: CatalogueItem, deciding: Agency) -> None:
    """PermissionDenied unless the actor's agency supplies `item` and is `deciding` or above it."""
    if actor.is_superuser:
        return
    agency = actor.agency
    if agency is None or item.supplying_agency_id != agency.pk:
        raise PermissionDenied(
            gettext(
                "Your agency does not supply this catalogue item: only its supplying agency "
                "files it."
            )
        )
    if not agency.is_same_or_superior_of(deciding):
        raise PermissionDenied(
            gettext("The deciding agency must be your agency or one of its subordinate agencies.")
        )


def ensure_manages(actor: User, record: CreditRecord) -> None:
    """Corrections, withdrawals and reviews belong to the agency that filed the record."""
    if actor.is_superuser:
        return
    owner = record.supplier_id or record.agency_id
    if actor.agency_id is None or actor.agency_id not in (owner, record.agency_id):
        raise PermissionDenied(gettext("Only the agency that filed this record may change it."))


def _needs_review(item: CatalogueItem) -> bool:
    return item.category == CatalogueItem.Category.NEGATIVE and item.requires_review


def _title_for(data: RecordInput) -> str:
    return data.title or data.catalogue_item.name


def _differences(record: CreditRecord, data: RecordInput) -> list[str]:
    wanted = data.values()
    wanted["title"] = _title_for(data)
    changed = [
        name for name, value in wanted.items() if _norm(getattr(record, name)) != _norm(value)
    ]
    if record.subject_id != data.subject.pk:
        changed.insert(0, "subject_identifier")
    return changed


def _norm(value):
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    return value if value not in (None, "") else None


def log_change(
    record: CreditRecord, kind: str, actor: User | None, reason: str = ""
) -> CreditRecordChange:
    """Write the change's outbox row in the caller's transaction. A change that agencies
    holding copies must hear of (`CreditRecordChange.TO_HOLDERS`) also nudges the feed's
    consumer after commit (named in settings.CREDIT_RECORD_CHANGE_CONSUMER_TASK: the registry
    does not know who consumes); the row is the message, so a lost nudge or a Redis outage
    only delays delivery until the consumer's sweep."""
    change = CreditRecordChange.objects.create(
        record=record,
        kind=kind,
        agency_id=record.agency_id,
        actor=actor if actor is not None and actor.pk else None,
        reason=reason[:500],
    )
    consumer = getattr(settings, "CREDIT_RECORD_CHANGE_CONSUMER_TASK", None)
    if consumer and kind in CreditRecordChange.TO_HOLDERS:
        enqueue_after_commit(consumer, change.pk)
    return change


def timeliness(decision_date: datetime.date, received: datetime.date) -> tuple[datetime.date, bool]:
    """(due date, whether `received` is on time): 7 working days after the decision."""
    due = add_working_days(decision_date, TIMELY_WORKING_DAYS)
    return due, received <= due


def find_existing(data: RecordInput, deciding: Agency) -> CreditRecord | None:
    return (
        CreditRecord.objects.filter(
            agency=deciding,
            catalogue_item=data.catalogue_item,
            decision_number=data.decision_number,
            legacy_unkeyed=False,
        )
        .exclude(decision_number="")
        .first()
    )


# Foreign keys are resolved by the caller (one query per kind for a whole batch), so model
# validation skips their per-row existence queries; the database still enforces them.
_FK_FIELDS = ["subject", "catalogue_item", "agency", "supplier", "created_by", "confirmed_by"]


def _build(
    *,
    actor: User,
    data: RecordInput,
    deciding: Agency,
    now,
    fields_checked: bool = False,
    today: datetime.date | None = None,
    dues: dict | None = None,
) -> CreditRecord:
    """An unsaved, validated record (ValidationError with field errors otherwise).

    `fields_checked`: the caller (sharing.parsing) already checked every field's type, length
    and choices, so only the record's own rules (`CreditRecord.clean`) run here. `today`: the
    day the record is received (`timezone.localdate(now)`), passed once for a whole batch;
    `dues`: {decision date: timeliness(...)} kept by the caller for a batch received `today`.
    """
    if data.extra:
        unknown = gettext("Unknown field: not part of a credit record.")
        raise ValidationError({name: [unknown] for name in data.extra})
    received = today or timezone.localdate(now)
    if dues is None:
        due, on_time = timeliness(data.decision_date, received)
    else:  # a batch's records share few decision dates: each date's due day counted once
        found = dues.get(data.decision_date)
        if found is None:
            found = dues[data.decision_date] = timeliness(data.decision_date, received)
        due, on_time = found
    review = _needs_review(data.catalogue_item)
    supplier = actor.agency or deciding
    # Foreign keys by id, with the related objects put in the instance's cache, and every
    # column given positionally (the constructor's fast path, the one Model.from_db takes):
    # the same record as CreditRecord(subject=..., ...), without the keyword path's per-field
    # checks (a batch of 10 000 spent seconds there).
    record = _new_record(
        {
            "subject_id": _pk(data.subject),
            "catalogue_item_id": _pk(data.catalogue_item),
            "agency_id": _pk(deciding),
            "supplier_id": _pk(supplier),
            "decision_number": data.decision_number,
            "created_by_id": _pk(actor),
            "status": CreditRecord.Status.PENDING if review else CreditRecord.Status.CONFIRMED,
            "confirmed_at": None if review else now,
            "due_by": due,
            "on_time": on_time,
            **data.values(),
            "title": _title_for(data),
        }
    )
    for name, related in (
        ("subject", data.subject),
        ("catalogue_item", data.catalogue_item),
        ("agency", deciding),
        ("supplier", supplier),
        ("created_by", actor),
    ):
        if related is not None:
            CreditRecord._meta.get_field(name).set_cached_value(record, related)
    if fields_checked:
        record.clean()
    else:
        record.full_clean(exclude=_FK_FIELDS, validate_unique=False, validate_constraints=False)
    return record


def _new_record(values: dict) -> CreditRecord:
    """An unsaved CreditRecord from {attname: value}; unnamed columns take their defaults."""
    return CreditRecord(
        *[
            values[field.attname] if field.attname in values else field.get_default()
            for field in CreditRecord._meta.concrete_fields
        ]
    )


def _pk(obj) -> int | None:
    return None if obj is None else obj.pk


# Columns whose Python values psycopg2 sends exactly as Django's get_db_prep_save would
# (str, date, aware datetime, bool, int, None); others (Decimal: Django quantizes it) go
# through the field. Found by get_internal_type().
_PLAIN_COLUMNS = {
    "CharField",
    "TextField",
    "DateField",
    "DateTimeField",
    "BooleanField",
    "PositiveIntegerField",
    "IntegerField",
    "BigIntegerField",
    "ForeignKey",
}


def _column_values(model_field, records: list[CreditRecord], now) -> list:
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        for record in records:  # what pre_save(add=True) does, once for the batch
            setattr(record, model_field.attname, now)
        return [now] * len(records)
    if model_field.get_internal_type() in _PLAIN_COLUMNS:
        attname = model_field.attname
        return [getattr(record, attname) for record in records]
    return [
        model_field.get_db_prep_save(model_field.pre_save(record, add=True), connection)
        for record in records
    ]


def _insert_records(records: list[CreditRecord]) -> None:
    """One `INSERT … SELECT FROM unnest(…)` for many records (a short statement whatever the
    batch: the ORM's bulk_create spends seconds compiling a 10 000-row VALUES list). Sets each
    record's pk from RETURNING, which follows the order of the unnested arrays."""
    model_fields = [f for f in CreditRecord._meta.concrete_fields if not f.primary_key]
    columns, casts, params = [], [], []
    now = timezone.now()
    for model_field in model_fields:
        columns.append(connection.ops.quote_name(model_field.column))
        casts.append(f"%s::{model_field.db_type(connection)}[]")
        params.append(_column_values(model_field, records, now))
    table = connection.ops.quote_name(CreditRecord._meta.db_table)
    # Identifiers come from the model's own metadata, values are parameters.
    query = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT * FROM unnest({', '.join(casts)}) RETURNING id, decision_number"
    )
    # The history rows are written by the table's statement-level trigger (pghistory, one
    # INSERT … SELECT from the statement's new rows, the audit context attached once).
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        returned = cursor.fetchall()
    for record, (pk, number) in zip(records, returned, strict=True):
        if number != record.decision_number:  # RETURNING order is insertion order; be sure
            raise AssertionError("bulk insert returned rows out of order")
        record.pk = pk


def _insert_changes(records: list[CreditRecord], actor: User, reason: str) -> None:
    """The outbox rows of a batch: `filed` for each record, `published` for confirmed ones."""
    now = timezone.now()
    rows = [(r.pk, CreditRecordChange.Kind.FILED, r.agency_id) for r in records] + [
        (r.pk, CreditRecordChange.Kind.PUBLISHED, r.agency_id)
        for r in records
        if r.status == CreditRecord.Status.CONFIRMED
    ]
    table = connection.ops.quote_name(CreditRecordChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (record_id, kind, agency_id, actor_id, reason, at) "  # noqa: S608
            "SELECT r, k, a, %s, %s, %s FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[]) "
            "AS t(r, k, a)",
            [
                actor.pk,
                reason[:500],
                now,
                [row[0] for row in rows],
                [str(row[1]) for row in rows],
                [row[2] for row in rows],
            ],
        )


def _changes_for(record: CreditRecord, actor: User, reason: str) -> list[CreditRecordChange]:
    rows = [
        CreditRecordChange(
            record=record,
            kind=CreditRecordChange.Kind.FILED,
            agency_id=record.agency_id,
            actor=actor,
            reason=reason[:500],
        )
    ]
    if record.status == CreditRecord.Status.CONFIRMED:
        rows.append(
            CreditRecordChange(
                record=record,
                kind=CreditRecordChange.Kind.PUBLISHED,
                agency_id=record.agency_id,
                actor=actor,
                reason="no review required",
            )
        )
    return rows


@transaction.atomic
def credit_record_create(
    *, actor: User, data: RecordInput, reason: str = "credit record filed"
) -> tuple[CreditRecord, bool]:
    """File one record. Returns (record, created); created is False for an identical resubmission.

    Raises PermissionDenied (not a supplier / not the deciding agency or its superior),
    ValidationError (field errors, forbidden data), RecordConflict (same key, other body).
    """
    deciding = data.deciding_agency or actor.agency
    if deciding is None:
        raise ValidationError(
            {"deciding_agency": gettext("A superuser names the deciding agency.")}
        )
    ensure_may_file(actor, data.catalogue_item, deciding)
    existing = find_existing(data, deciding)
    if existing is not None:
        changed = _differences(existing, data)
        if changed:
            raise RecordConflict(existing, changed)
        return existing, False
    record = _build(actor=actor, data=data, deciding=deciding, now=timezone.now())
    with audited(actor, reason):
        # Savepoint: a racing duplicate surfaces as IntegrityError and is answered as a resend.
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError as exc:
            existing = find_existing(data, deciding)
            if existing is None:
                raise
            changed = _differences(existing, data)
            if changed:
                raise RecordConflict(existing, changed) from exc
            return existing, False
        CreditRecordChange.objects.bulk_create(_changes_for(record, actor, reason))
    return record, True


@dataclass
class RowOutcome:
    """One row of a batch: `created`, `unchanged`, `conflict` or `invalid`, with its record id
    (created/unchanged/conflict) or field errors."""

    status: str
    record: CreditRecord | None = None
    errors: dict = field(default_factory=dict)


def _error_dict(exc: ValidationError | PermissionDenied, default_field: str) -> dict:
    if isinstance(exc, PermissionDenied):
        return {default_field: [str(exc)]}
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


@transaction.atomic
def credit_records_create_bulk(
    *,
    actor: User,
    rows: list[RecordInput | dict],
    dry_run: bool = False,
    all_or_nothing: bool = False,
    reason: str = "credit records filed in bulk",
    fields_checked: bool = False,
) -> list[RowOutcome]:
    """File many records at once under the same rules as `credit_record_create`.

    `rows` holds a RecordInput per parsed row, or a dict of field errors for a row that could
    not be parsed. Existing keys (deciding agency, item, decision number) answer `unchanged`
    or `conflict`, so the whole batch is idempotent when resent. Valid rows are written in one
    transaction (a row is its record and its change rows, never half of them); with
    `all_or_nothing` any bad row writes nothing; with `dry_run` nothing is written at all.
    Set-based: a handful of queries plus the INSERTs, whatever the size of the batch.
    """
    now = timezone.now()
    today = timezone.localdate(now)
    dues: dict = {}
    outcomes: list[RowOutcome | None] = [None] * len(rows)
    keyed: dict[tuple, tuple[int, CreditRecord]] = {}
    candidates: list[tuple[int, RecordInput, Agency]] = []
    for index, data in enumerate(rows):
        if isinstance(data, dict):
            outcomes[index] = RowOutcome("invalid", errors=data)
            continue
        deciding = data.deciding_agency or actor.agency
        try:
            if deciding is None:
                raise ValidationError(
                    {"deciding_agency": gettext("A superuser names the deciding agency.")}
                )
            ensure_may_file(actor, data.catalogue_item, deciding)
        except (PermissionDenied, ValidationError) as exc:
            outcomes[index] = RowOutcome("invalid", errors=_error_dict(exc, "catalogue_item"))
            continue
        candidates.append((index, data, deciding))
    # Existing records for the batch's keys: one query.
    numbers = {d.decision_number for _i, d, _a in candidates if d.decision_number}
    existing: dict[tuple, CreditRecord] = {}
    if numbers:
        # The predicate of the unique index creditrecord_one_per_decision, so that it serves
        # the lookup; only the columns the comparison reads.
        for record in (
            CreditRecord.objects.filter(
                decision_number__in=numbers,
                legacy_unkeyed=False,
                agency_id__in={a.pk for _i, _d, a in candidates},
            )
            .exclude(decision_number="")
            .only("agency_id", "catalogue_item_id", "decision_number", "subject_id", *CORRECTABLE)
        ):
            existing[(record.agency_id, record.catalogue_item_id, record.decision_number)] = record
    new: list[tuple[int, CreditRecord]] = []
    for index, data, deciding in candidates:
        key = (deciding.pk, data.catalogue_item.pk, data.decision_number)
        found = existing.get(key) if data.decision_number else None
        if found is not None:
            changed = _differences(found, data)
            outcomes[index] = (
                RowOutcome("conflict", found, {"decision_number": _conflict_message(changed)})
                if changed
                else RowOutcome("unchanged", found)
            )
            continue
        if data.decision_number and key in keyed:
            first, earlier = keyed[key]
            outcomes[index] = (
                RowOutcome(
                    "invalid",
                    errors={
                        "decision_number": [
                            gettext("Repeats row %(row)d with other values.") % {"row": first + 1}
                        ]
                    },
                )
                if _differences(earlier, data)
                else RowOutcome("unchanged", earlier)
            )
            continue
        try:
            record = _build(
                actor=actor,
                data=data,
                deciding=deciding,
                now=now,
                fields_checked=fields_checked,
                today=today,
                dues=dues,
            )
        except ValidationError as exc:
            outcomes[index] = RowOutcome("invalid", errors=_error_dict(exc, "non_field_errors"))
            continue
        if data.decision_number:
            keyed[key] = (index, record)
        outcomes[index] = RowOutcome("created", record)
        new.append((index, record))
    bad = any(o is not None and o.status in ("invalid", "conflict") for o in outcomes)
    if dry_run or (all_or_nothing and bad):
        for _index, record in new:
            record.pk = None
        return [o for o in outcomes if o is not None]
    with audited(actor, reason):
        records = [r for _i, r in new]
        for start in range(0, len(records), 5000):
            _insert_records(records[start : start + 5000])
        if records:
            _insert_changes(records, actor, reason)
    return [o for o in outcomes if o is not None]


def _conflict_message(changed: list[str]) -> list[str]:
    return [
        gettext(
            "This decision is already recorded with different values (%(fields)s): send a "
            "correction to the existing record instead."
        )
        % {"fields": ", ".join(changed)}
    ]


def _locked(record: CreditRecord) -> CreditRecord:
    # Two reviewers (or a reviewer and a withdrawing clerk) racing on one record: lock it.
    return (
        CreditRecord.objects.select_for_update().select_related("catalogue_item").get(pk=record.pk)
    )


@transaction.atomic
def credit_record_confirm(*, actor: User, record: CreditRecord) -> CreditRecord:
    """A reviewer of the filing agency, not its maker, confirms a pending record: published."""
    record = _locked(record)
    ensure_manages(actor, record)
    if not (actor.is_superuser or actor.is_reviewer):
        raise PermissionDenied(gettext("Only a reviewer confirms credit records."))
    if record.status != CreditRecord.Status.PENDING:
        raise ValidationError(
            {"status": gettext("Only a record awaiting review can be confirmed.")}
        )
    if record.created_by_id == actor.pk:
        raise PermissionDenied(gettext("The maker of a record cannot confirm it (maker-checker)."))
    with audited(actor, "credit record confirmed"):
        record.status = CreditRecord.Status.CONFIRMED
        record.confirmed_by = actor
        record.confirmed_at = timezone.now()
        record.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
        log_change(record, CreditRecordChange.Kind.PUBLISHED, actor, "confirmed by reviewer")
    return record


@transaction.atomic
def credit_record_correct(
    *, actor: User, record: CreditRecord, changes: dict, reason: str
) -> CreditRecord:
    """Change the correctable fields (CORRECTABLE) with a reason; the previous version stays in
    the history. A corrected negative record that needs review goes back to review."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": gettext("A correction states its reason.")})
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise ValidationError(
            {name: [gettext("This field cannot be corrected.")] for name in unknown}
        )
    record = _locked(record)
    ensure_manages(actor, record)
    if record.status == CreditRecord.Status.WITHDRAWN:
        raise ValidationError({"status": gettext("A withdrawn record cannot be corrected.")})
    changed = {k: v for k, v in changes.items() if _norm(getattr(record, k)) != _norm(v)}
    if not changed:
        return record
    with audited(actor, f"credit record corrected: {reason}"):
        for name, value in changed.items():
            setattr(record, name, value if value is not None else _empty(name))
        if {"decision_date", "severity"} & set(changed):
            record.publicity_ends_on = None  # recomputed by clean() from the new values
        record.version += 1
        if _needs_review(record.catalogue_item) and not actor.is_superuser:
            record.status = CreditRecord.Status.PENDING
            record.confirmed_by = None
            record.confirmed_at = None
        record.full_clean(validate_constraints=False)
        record.save()
        log_change(record, CreditRecordChange.Kind.CORRECTED, actor, reason)
    return record


def _empty(name: str):
    return "" if name in ("title", "content", "legal_basis", "severity", "penalty_kind",
                          "licence_kind") else None  # fmt: skip


@transaction.atomic
def credit_record_withdraw(
    *, actor: User, record: CreditRecord, document_number: str, reason: str
) -> CreditRecord:
    """The decision was revoked (reconsideration, court): the record leaves every publication at
    once, and derived data (watch-list evidence, the change feed) follows from the outbox row."""
    errors = {}
    if not document_number or not document_number.strip():
        errors["document_number"] = [gettext("Cite the revoking decision's document number.")]
    if not reason or not reason.strip():
        errors["reason"] = [gettext("State why the record is withdrawn.")]
    if errors:
        raise ValidationError(errors)
    record = _locked(record)
    ensure_manages(actor, record)
    if record.status == CreditRecord.Status.WITHDRAWN:
        return record
    with audited(actor, f"credit record withdrawn: {reason}"):
        record.status = CreditRecord.Status.WITHDRAWN
        record.withdrawn_at = timezone.now()
        record.withdrawal_document = document_number.strip()[:100]
        record.withdrawal_reason = reason.strip()
        record.save()
        log_change(record, CreditRecordChange.Kind.WITHDRAWN, actor, reason)
    return record
