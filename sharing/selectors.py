"""Reads of the sharing app: what an agency may see of a subject (the file), credit checks,
consents and the access log.

The file rule (issue 12; Shanghai regulations art. 17, seed 000), applied by `may_read()`:
a record in effect (confirmed, not withdrawn, in its publicity period; repaired ones marked) is
returned when its catalogue item is public or government-visible; a *restricted* one only when
the caller's agency decided or supplied it, the catalogue item names the agency as entitled by
law, or the subject gave this agency a consent for this purpose that is still valid and not
withdrawn (for all restricted items, or that item). Otherwise only its existence is counted.
"""

from __future__ import annotations

import dataclasses
import datetime

import orjson
from django.db import connection
from django.db.models import F, Q, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy

from blacklists.models import EntryState, ListEntry, ListKind
from blacklists.selectors import entries_visible_to
from filings import selectors as filing_selectors
from registry import selectors as registry_selectors
from registry.models import CatalogueItem, CreditRecord, Subject, User
from sanctions.models import Sanction
from sharing.models import Consent, Consultation, Purpose

HOW_TO_CONSENT = gettext_lazy(
    "Restricted records exist. They are shared only with the subject's written consent for this "
    "agency and purpose (Shanghai Social Credit Regulations art. 17): upload the signed consent "
    "with POST /api/v1/consents/, then consult the file again."
)


class PurposeError(ValueError):
    def __init__(self, purposes: list[dict]):
        super().__init__(gettext_lazy("No such purpose of consultation."))
        self.purposes = purposes
        self.subject: Subject | None = None  # the subject asked for, if found


class CompiledSQL:
    """SQL compiled by the ORM once per shape, then reused with each call's values.

    `build(**values)` returns the (SQL, params) of querysets that define a read; it is called
    once per `key` with stand-ins (`sentinels`: values no parameter of those querysets can
    equal by chance: negative ids, a day in 1901, text with control characters), whose places
    in the params are then filled with each call's values. Compiling the file's seven
    querysets cost more CPU than running them (≈60 % of the file's Python time, cProfile at
    100 000 subjects); the querysets stay the one definition of what is read."""

    def __init__(self, build, **sentinels):
        self.build = build
        self.sentinels = sentinels
        self.compiled: dict = {}

    def __call__(self, key, **values) -> tuple[str, list]:
        compiled = self.compiled.get(key)
        if compiled is None:
            sql, params = self.build(key, **self.sentinels)
            slots = []
            for param in params:
                name = next(
                    (n for n, v in self.sentinels.items() if type(param) is type(v) and param == v),
                    None,
                )
                slots.append((name, param))
            if {n for n, _p in slots if n} != set(self.sentinels):
                raise AssertionError("a value of the compiled SQL lost its place")
            compiled = self.compiled[key] = (sql, slots)
        sql, slots = compiled
        return sql, [values[name] if name else param for name, param in slots]


def purposes() -> QuerySet[Purpose]:
    return Purpose.objects.filter(is_active=True).order_by("code")


def purpose_by_code(code: str | None) -> Purpose:
    """The active purpose with this code; PurposeError listing the valid ones otherwise."""
    found = purposes().filter(code=(code or "").strip()).first() if code else None
    if found is None:
        raise PurposeError(list(purposes().values("code", "name")))
    return found


def _subject_sql(_key, *, identifier, code) -> tuple[str, list]:
    """The subject with this identifier (as `subject_by_identifier`), with the active purpose
    with this code (as `purpose_by_code`) riding on its row: `_purpose`, `_purpose_name`."""
    purpose = purposes().filter(code=code)
    return (
        Subject.objects.filter(identifier=identifier)
        .annotate(
            _purpose=Subquery(purpose.values("pk")[:1]),
            _purpose_name=Subquery(purpose.values("name")[:1]),
        )
        .order_by("pk")[:1]
        .query.sql_with_params()
    )


SUBJECT_SQL = CompiledSQL(_subject_sql, identifier="\x1fidentifier\x1f", code="\x1fcode\x1f")


def subject_and_purpose(raw: str, code: str | None) -> tuple[Subject | None, Purpose]:
    """(the subject of this identifier or None, the active purpose with this code), as
    `subject_by_identifier` and `purpose_by_code` answer them (PurposeError when the purpose
    is not valid, with the subject found attached as `exc.subject`), in one query when the
    subject exists: the purpose rides on the subject's row as a subquery."""
    wanted = (code or "").strip() if code else ""
    identifier = registry_selectors.normalised_identifier(raw or "")
    subject = None
    if identifier:
        sql, params = SUBJECT_SQL(None, identifier=identifier, code=wanted)
        subject = next(iter(Subject.objects.raw(sql, params)), None)
        if subject is not None and wanted and subject._purpose is not None:
            return subject, Purpose(pk=subject._purpose, code=wanted, name=subject._purpose_name)
    try:
        # No subject (or no purpose): the purpose's own query decides, and lists the valid ones.
        return subject, purpose_by_code(code)
    except PurposeError as exc:
        exc.subject = subject
        raise


@dataclasses.dataclass(frozen=True)
class Grants:
    """What lets an agency read restricted records of one subject for one purpose."""

    agency_id: int
    entitled_item_ids: frozenset[int]
    consent_all: bool
    consent_item_ids: frozenset[int]


def may_read_item(
    grants: Grants, *, visibility: str, item_id: int, agency_id: int, supplier_id: int | None
) -> bool:
    """The file rule for one record already known to be in effect."""
    if visibility != CatalogueItem.Visibility.RESTRICTED:
        return True
    if grants.agency_id in (agency_id, supplier_id):
        return True
    return (
        item_id in grants.entitled_item_ids
        or grants.consent_all
        or item_id in grants.consent_item_ids
    )


def may_read(record: CreditRecord, grants: Grants) -> bool:
    """The file rule (`may_read_item`) for a record instance."""
    return may_read_item(
        grants,
        visibility=record.catalogue_item.visibility,
        item_id=record.catalogue_item_id,
        agency_id=record.agency_id,
        supplier_id=record.supplier_id,
    )


def _grant_arrays(
    subject_id: int, agency_id: int, purpose_id: int, at: datetime.date
) -> list[tuple[str, list]]:
    """What lets `agency_id` read restricted records of `subject_id` for `purpose_id`, as
    three uncorrelated SQL expressions (each evaluated once), each a jsonb array: the items
    naming the agency as entitled by law; the valid consents covering all restricted items;
    the items named by valid consents (`ConsentQuerySet.valid`)."""
    valid = Consent.objects.valid(at).filter(
        subject_id=subject_id, agency_id=agency_id, purpose_id=purpose_id
    )
    return [
        _json_array(
            CatalogueItem.entitled_agencies.through.objects.filter(agency_id=agency_id),
            (("item", "catalogueitem_id"),),
            ("catalogueitem_id",),
        ),
        _json_array(valid.filter(all_restricted=True), (("id", "id"),), ("id",)),
        _json_array(
            Consent.items.through.objects.filter(consent__in=valid.values("id")),
            (("item", "catalogueitem_id"),),
            ("catalogueitem_id",),
        ),
    ]


def _grants_of(agency_id: int, entitled: list, consent_all: list, consent_items: list) -> Grants:
    return Grants(
        agency_id,
        frozenset(row["c0"] for row in entitled),
        bool(consent_all),
        frozenset(() if consent_all else (row["c0"] for row in consent_items)),
    )


def record_row(record: CreditRecord) -> dict:
    """A record as every agency reading it sees it (`record_shape`), from an instance."""
    item = record.catalogue_item
    return record_shape(
        {
            "id": record.pk,
            "catalogue_item": item.code,
            "catalogue_item_name": item.name,
            "category": item.category,
            "visibility": item.visibility,
            "record_type": item.record_type,
            "decision_number": record.decision_number,
            "decision_date": record.decision_date,
            "deciding_agency": record.agency.subject.identifier,
            "deciding_agency_name": record.agency.subject.name,
            "title": record.title,
            "content": record.content,
            "legal_basis": record.legal_basis,
            "publicity_ends_on": record.publicity_ends_on,
            "repaired_at": record.repaired_at,
            "version": record.version,
            "penalty_kind": record.penalty_kind,
            "amount_yuan": record.amount_yuan,
            "severity": record.severity,
            "licence_kind": record.licence_kind,
            "valid_from": record.valid_from,
            "valid_until": record.valid_until,
        }
    )


def record_shape(values: dict) -> dict:
    """The one shape of a shared record, from its values (RECORD_COLUMNS' keys)."""
    row = {
        key: values[key]
        for key in (
            "id",
            "catalogue_item",
            "catalogue_item_name",
            "category",
            "visibility",
            "record_type",
            "decision_number",
            "decision_date",
            "deciding_agency",
            "deciding_agency_name",
            "title",
            "content",
            "legal_basis",
            "publicity_ends_on",
        )
    }
    row["repaired"] = values["repaired_at"] is not None
    row["version"] = values["version"]
    record_type = values["record_type"]
    if record_type == "administrative_penalty":
        amount = values["amount_yuan"]
        row["penalty"] = {
            "kind": values["penalty_kind"],
            # A string, as money is: "5000.00" (JSON numbers are floats). The file reads the
            # numeric(16, 2) column as text, which has its two decimals already.
            "amount_yuan": None
            if amount is None
            else amount
            if isinstance(amount, str)
            else f"{amount:.2f}",
            "severity": values["severity"],
        }
    elif record_type == "administrative_licence":
        row["licence"] = {
            "kind": values["licence_kind"],
            "valid_from": values["valid_from"],
            "valid_until": values["valid_until"],
        }
    return row


# The file's records: (key, path from CreditRecord or an expression), `record_shape`'s keys
# plus what the file rule reads (item, deciding and supplying agency ids).
RECORD_COLUMNS = (
    ("id", "id"),
    ("catalogue_item", "catalogue_item__code"),
    ("catalogue_item_name", "catalogue_item__name"),
    ("category", "catalogue_item__category"),
    ("visibility", "catalogue_item__visibility"),
    ("record_type", "catalogue_item__record_type"),
    ("decision_number", "decision_number"),
    ("decision_date", "decision_date"),
    ("deciding_agency", "agency__subject__identifier"),
    ("deciding_agency_name", "agency__subject__name"),
    ("title", "title"),
    ("content", "content"),
    ("legal_basis", "legal_basis"),
    ("publicity_ends_on", "publicity_ends_on"),
    ("repaired_at", "repaired_at"),
    ("version", "version"),
    ("penalty_kind", "penalty_kind"),
    # Text, not a jsonb number (a float once parsed): "5000.00" exactly.
    ("amount_yuan", Cast("amount_yuan", TextField())),
    ("severity", "severity"),
    ("licence_kind", "licence_kind"),
    ("valid_from", "valid_from"),
    ("valid_until", "valid_until"),
    ("catalogue_item_id", "catalogue_item_id"),
    ("agency_id", "agency_id"),
    ("supplier_id", "supplier_id"),
)
# The file's list entries and measures: (key in the file, path from the queryset's model), in
# the order the file shows them.
ENTRY_COLUMNS = (
    ("id", "id"),
    ("list", "list__key"),
    ("list_name", "list__name"),
    ("kind", "list__kind"),
    ("owner", "list__owner__subject__identifier"),
    ("state", "state"),
    ("decision_number", "decision_number"),
    ("decision_date", "decision_date"),
    ("starts_on", "starts_on"),
    ("ends_on", "ends_on"),
    ("end_reason", "end_reason"),
)
MEASURE_COLUMNS = (
    ("id", "id"),
    ("kind", "measure__kind"),
    ("measure", "measure__code"),
    ("measure_text", "measure__text"),
    ("legal_basis", "measure__legal_basis"),
    ("implementing_agency", "measure__implementing_agency__subject__identifier"),
    ("memorandum", "measure__memorandum__document_number"),
    ("list_entry", "entry_id"),
    ("list", "entry__list__key"),
    ("imposed_at", "imposed_at"),
)
_DATES = {"decision_date", "starts_on", "ends_on", "publicity_ends_on", "valid_from", "valid_until"}
_DATETIMES = {"imposed_at", "signed_at", "outcome_at"}


def _json_array(qs: QuerySet, columns, order: tuple[str, ...]) -> tuple[str, list]:
    """`qs` as one SQL expression: a jsonb array of its rows, each {c0: …, c1: …} in
    `columns`' order (each a path or an expression), sorted by `order` (paths). Returns
    (SQL, params) to embed."""
    aliases = {
        f"c{i}": F(path) if isinstance(path, str) else path
        for i, (_key, path) in enumerate(columns)
    }
    sort = {f"o{i}": F(path.lstrip("-")) for i, path in enumerate(order)}
    inner = qs.annotate(**aliases, **sort).values(*aliases, *sort).order_by()
    sql, params = inner.query.sql_with_params()
    by = ", ".join(
        f"t.o{i}{' DESC' if path.startswith('-') else ''}" for i, path in enumerate(order)
    )
    # The SQL is the ORM's own compilation of `qs` and fixed aliases; values stay parameters.
    query = f"(SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY {by}), '[]'::jsonb) FROM ({sql}) t)"  # noqa: S608
    return query, list(params)


def _file_rows(rows: list[dict], columns) -> list[dict]:
    out = []
    for row in rows:
        shaped = {}
        for i, (key, _path) in enumerate(columns):
            value = row[f"c{i}"]
            if value is not None and key in _DATES:
                value = datetime.date.fromisoformat(value)
            elif value is not None and key in _DATETIMES:
                value = datetime.datetime.fromisoformat(value)
            shaped[key] = value
        out.append(shaped)
    return out


def _entries_and_measures_sql(*, user: User, subject: Subject) -> list[tuple[str, list]]:
    """The file's list entries (those `user`'s agency may see: `entries_visible_to`), newest
    first, and the subject's measures in force with their provenance, by memorandum and
    measure code, each as a jsonb-array expression (`_json_array`)."""
    return [
        _json_array(entries_visible_to(user).filter(subject=subject), ENTRY_COLUMNS, ("-id",)),
        _json_array(
            Sanction.objects.in_force().filter(target=subject),
            MEASURE_COLUMNS,
            ("measure__memorandum_id", "measure__code"),
        ),
    ]


@dataclasses.dataclass
class SubjectFile:
    subject: Subject
    records: list[dict]
    withheld: dict[str, int]
    list_entries: list[dict]
    measures: list[dict]
    commitments: list[dict] = dataclasses.field(default_factory=list)

    @property
    def returned_items(self) -> list[dict]:
        return [{"record": r["id"], "item": r["catalogue_item"]} for r in self.records]


def _file_sql(superuser: bool, *, subject, agency, purpose, today) -> tuple[str, list]:
    """The file's one SELECT: a jsonb array per part (records in effect, the three grants,
    list entries, measures, commitments), each compiled from the queryset that defines it."""
    user = User(agency_id=agency, is_superuser=superuser)
    parts = [
        _json_array(
            CreditRecord.objects.in_effect(today).filter(subject_id=subject),
            RECORD_COLUMNS,
            ("-decision_date", "-id"),
        ),
        *_grant_arrays(subject, agency, purpose, today),
        *_entries_and_measures_sql(user=user, subject=Subject(pk=subject)),
        _json_array(
            filing_selectors.commitments_published().filter(subject_id=subject),
            filing_selectors.COMMITMENT_COLUMNS,
            filing_selectors.COMMITMENT_ORDER,
        ),
    ]
    sql = ", ".join(part for part, _params in parts)
    return f"SELECT {sql}", [p for _part, params in parts for p in params]  # noqa: S608


# Keyed by whether the user is a superuser (a superuser's view of list entries differs).
FILE_SQL = CompiledSQL(
    _file_sql,
    subject=-7_301_000_001,
    agency=-7_301_000_002,
    purpose=-7_301_000_003,
    today=datetime.date(1901, 1, 7),
)


def subject_file(*, user: User, subject: Subject, purpose: Purpose) -> SubjectFile:
    """Everything `user`'s agency may see about `subject` for `purpose` (the rule above), plus
    list entries agencies may see, measures in force (punishments and redlist incentives)
    with their provenance, and the subject's published credit commitments with their outcome
    (`filings.selectors.COMMITMENT_COLUMNS`). One query whatever the subject holds: one SELECT
    of jsonb arrays, each compiled by the ORM from its queryset (records in effect, the three
    grants, entries, measures, commitments: `_file_sql`, compiled once), each evaluated once."""
    sql, params = FILE_SQL(
        bool(user.is_superuser),
        subject=subject.pk,
        agency=user.agency_id,
        purpose=purpose.pk,
        today=timezone.localdate(),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Django leaves jsonb undecoded (text): one orjson parse each.
        found = [orjson.loads(value) for value in cursor.fetchone()]
    records, entitled, consent_all, consent_items, entries, measures, commitments = found
    grants = _grants_of(user.agency_id, entitled, consent_all, consent_items)
    shown, withheld = [], {}
    for values in _file_rows(records, RECORD_COLUMNS):
        if may_read_item(
            grants,
            visibility=values["visibility"],
            item_id=values["catalogue_item_id"],
            agency_id=values["agency_id"],
            supplier_id=values["supplier_id"],
        ):
            shown.append(record_shape(values))
        else:
            code = values["catalogue_item"]
            withheld[code] = withheld.get(code, 0) + 1
    return SubjectFile(
        subject=subject,
        records=shown,
        withheld=withheld,
        list_entries=_file_rows(entries, ENTRY_COLUMNS),
        measures=_file_rows(measures, MEASURE_COLUMNS),
        commitments=_file_rows(commitments, filing_selectors.COMMITMENT_COLUMNS),
    )


# --- credit checks ---------------------------------------------------------------------------


def in_array(values, sql_type: str = "bigint") -> RawSQL:
    """The right-hand side of `field__in=` for a large batch: `IN (SELECT unnest(%s::type[]))`,
    one array parameter. Django's `__in` with a 1 000-value list compiles one placeholder per
    value (≈100 ms of CPU per query for a credit check, measured at 1 000 000 subjects); the
    array is typed as the column, so its index serves the lookup (ECOSYSTEM.md)."""
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [list(values)])  # noqa: S611


def credit_check(*, user: User, subject_ids: list[int]) -> dict[int, dict]:
    """Per subject id: entries in force on blacklists / redlists / watch lists, the measures the
    caller implements, the count of penalties in publicity and the subject's published credit
    commitments (signed, honoured or broken: `filings.selectors.commitment_rows`). Five
    queries for any number."""
    result: dict[int, dict] = {
        sid: {"lists": [], "measures": [], "penalties_in_publicity": 0, "commitments": []}
        for sid in subject_ids
    }
    entries = (
        ListEntry.objects.filter(subject_id__in=in_array(subject_ids), state=EntryState.PUBLISHED)
        .filter(list__kind__in=[ListKind.BLACKLIST, ListKind.REDLIST, ListKind.WATCHLIST])
        .values("subject_id", "id", "list__key", "list__kind", "starts_on", "ends_on")
    )
    for e in entries:
        result[e["subject_id"]]["lists"].append(
            {
                "entry": e["id"],
                "list": e["list__key"],
                "kind": e["list__kind"],
                "since": e["starts_on"],
                "until": e["ends_on"],
            }
        )
    if user.agency_id:
        measures = (
            Sanction.objects.in_force()
            .filter(target_id__in=in_array(subject_ids), implementing_agency_id=user.agency_id)
            .values("target_id", "id", "measure__code", "measure__text", "measure__kind")
        )
        for m in measures:
            result[m["target_id"]]["measures"].append(
                {
                    "sanction": m["id"],
                    "measure": m["measure__code"],
                    "text": m["measure__text"],
                    "kind": m["measure__kind"],
                }
            )
    penalties = (
        CreditRecord.objects.published()
        .filter(
            subject_id__in=in_array(subject_ids),
            catalogue_item__record_type="administrative_penalty",
        )
        .exclude(catalogue_item__visibility=CatalogueItem.Visibility.RESTRICTED)
        .values_list("subject_id", flat=True)
    )
    for sid in penalties:
        result[sid]["penalties_in_publicity"] += 1
    for sid, rows in filing_selectors.commitment_rows(subject_ids).items():
        result[sid]["commitments"] = rows
    return result


# --- the access log ----------------------------------------------------------------------------


def consultations_visible_to(user: User) -> QuerySet[Consultation]:
    """The platform operator reads everything; an agency administrator reads its own staff's
    consultations; nobody else reads the log."""
    qs = Consultation.objects.select_related("subject", "agency__subject")
    if user.is_superuser:
        return qs
    if user.role == User.Role.ADMIN and user.agency_id:
        return qs.filter(agency_id=user.agency_id)
    return qs.none()


def consultations_of_subject(subject: Subject) -> QuerySet[Consultation]:
    """Who looked at this subject, newest first (the subject's own view, issue 13)."""
    return Consultation.objects.filter(subject=subject).select_related("agency__subject")


def consents_of(subject: Subject) -> QuerySet[Consent]:
    return Consent.objects.filter(subject=subject).select_related("agency__subject", "purpose")


def late_records(agency_id: int) -> QuerySet[CreditRecord]:
    return CreditRecord.objects.filter(Q(supplier_id=agency_id) | Q(agency_id=agency_id)).late()


def subject_by_identifier(raw: str) -> Subject | None:
    code = registry_selectors.normalised_identifier(raw or "")
    return Subject.objects.filter(identifier=code).first() if code else None


_CONSULTED_SQL = """
    SELECT DISTINCT (e.value ->> 'record')::bigint, c.agency_id
      FROM sharing_consultation c
     CROSS JOIN LATERAL jsonb_array_elements(c.items) AS e(value)
     WHERE c.subject_id = ANY(%(subjects)s::bigint[])
       AND c.agency_id IS NOT NULL
       AND e.value ->> 'record' = ANY(%(records)s::text[])
"""


def record_holders_many(record_ids) -> dict[int, set[int]]:
    """{record id: agency ids holding a copy}, the agencies that must hear when a record is
    corrected, withdrawn or repaired (issue 12): the deciding agency, the supplying agency,
    and every agency whose consultation returned it (the access log's `items` list returned
    records as {"record": id, "item": code}). Two queries whatever the number of records: the
    records, then their subjects' access-log rows (the subject index) opened by
    jsonb_array_elements."""
    rows = list(
        CreditRecord.objects.filter(pk__in=list(record_ids)).values_list(
            "pk", "agency_id", "supplier_id", "subject_id"
        )
    )
    holders = {
        pk: {a for a in (agency, supplier) if a is not None} for pk, agency, supplier, _s in rows
    }
    if rows:
        with connection.cursor() as cur:
            cur.execute(
                _CONSULTED_SQL,
                {
                    "subjects": sorted({r[3] for r in rows}),
                    "records": [str(r[0]) for r in rows],
                },
            )
            for record_id, agency_id in cur.fetchall():
                if record_id in holders:
                    holders[record_id].add(agency_id)
    return holders


def record_holders(record_id: int) -> list[int]:
    """Agency ids holding a copy of one record (`record_holders_many`)."""
    return sorted(record_holders_many([record_id]).get(record_id, ()))


def may_read_consent_evidence(user: User, consent: Consent) -> bool:
    """The signed consent document (or the online-consent record) is read by the agency the
    consent was given to and by the platform operator; never by other agencies or the public."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or (user.agency_id and user.agency_id == consent.agency_id))
