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
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, F, Q, QuerySet
from django.db.models.expressions import RawSQL
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


def purposes() -> QuerySet[Purpose]:
    return Purpose.objects.filter(is_active=True).order_by("code")


def purpose_by_code(code: str | None) -> Purpose:
    """The active purpose with this code; PurposeError listing the valid ones otherwise."""
    found = purposes().filter(code=(code or "").strip()).first() if code else None
    if found is None:
        raise PurposeError(list(purposes().values("code", "name")))
    return found


@dataclasses.dataclass(frozen=True)
class Grants:
    """What lets an agency read restricted records of one subject for one purpose."""

    agency_id: int
    entitled_item_ids: frozenset[int]
    consent_all: bool
    consent_item_ids: frozenset[int]


def may_read(record: CreditRecord, grants: Grants) -> bool:
    """The file rule for one record already known to be in effect."""
    if record.catalogue_item.visibility != CatalogueItem.Visibility.RESTRICTED:
        return True
    if grants.agency_id in (record.agency_id, record.supplier_id):
        return True
    item_id = record.catalogue_item_id
    return (
        item_id in grants.entitled_item_ids
        or grants.consent_all
        or item_id in grants.consent_item_ids
    )


GRANT_COLUMNS = ("g_entitled", "g_consent_all", "g_consent_items")


def _grant_columns(subject_id: int, agency_id: int, purpose_id: int, at: datetime.date) -> dict:
    """What lets `agency_id` read restricted records of `subject_id` for `purpose_id`, as
    uncorrelated subqueries (PostgreSQL evaluates each once per query, as an InitPlan):
    the items naming the agency as entitled by law; whether a valid consent covers all
    restricted items; the items named by valid consents (`ConsentQuerySet.valid`)."""
    valid = Consent.objects.valid(at).filter(
        subject_id=subject_id, agency_id=agency_id, purpose_id=purpose_id
    )
    return {
        "g_entitled": ArraySubquery(
            CatalogueItem.entitled_agencies.through.objects.filter(agency_id=agency_id).values(
                "catalogueitem_id"
            )
        ),
        "g_consent_all": Exists(valid.filter(all_restricted=True)),
        "g_consent_items": ArraySubquery(
            Consent.items.through.objects.filter(consent__in=valid.values("id")).values(
                "catalogueitem_id"
            )
        ),
    }


def _grants_of(agency_id: int, found) -> Grants:
    entitled, consent_all, consent_items = found if found else ([], False, [])
    return Grants(
        agency_id,
        frozenset(entitled or ()),
        bool(consent_all),
        frozenset(() if consent_all else consent_items or ()),
    )


def record_row(record: CreditRecord) -> dict:
    item = record.catalogue_item
    row = {
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
        "repaired": record.repaired_at is not None,
        "version": record.version,
    }
    if item.record_type == "administrative_penalty":
        row["penalty"] = {
            "kind": record.penalty_kind,
            # A string, as money is: "5000.00" (JSON numbers are floats).
            "amount_yuan": None if record.amount_yuan is None else f"{record.amount_yuan:.2f}",
            "severity": record.severity,
        }
    elif item.record_type == "administrative_licence":
        row["licence"] = {
            "kind": record.licence_kind,
            "valid_from": record.valid_from,
            "valid_until": record.valid_until,
        }
    return row


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
_DATES = {"decision_date", "starts_on", "ends_on"}
_DATETIMES = {"imposed_at"}


def _json_array(qs: QuerySet, columns, order: tuple[str, ...]) -> tuple[str, list]:
    """`qs` as one SQL expression: a jsonb array of its rows, each {c0: …, c1: …} in
    `columns`' order, sorted by `order` (paths). Returns (SQL, params) to embed."""
    aliases = {f"c{i}": F(path) for i, (_key, path) in enumerate(columns)}
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


def entries_and_measures(*, user: User, subject: Subject) -> tuple[list[dict], list[dict]]:
    """The file's list entries (those `user`'s agency may see: `entries_visible_to`), newest
    first, and the subject's measures in force with their provenance, by memorandum and
    measure code. One round trip: both querysets compiled by the ORM, each aggregated to a
    jsonb array in one SELECT; dates and times come back as Python values."""
    entries_sql, entries_params = _json_array(
        entries_visible_to(user).filter(subject=subject), ENTRY_COLUMNS, ("-id",)
    )
    measures_sql, measures_params = _json_array(
        Sanction.objects.in_force().filter(target=subject),
        MEASURE_COLUMNS,
        ("measure__memorandum_id", "measure__code"),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {entries_sql}, {measures_sql}", entries_params + measures_params)
        entries, measures = cursor.fetchone()
    # Django leaves jsonb undecoded (text): one orjson parse each.
    return (
        _file_rows(orjson.loads(entries), ENTRY_COLUMNS),
        _file_rows(orjson.loads(measures), MEASURE_COLUMNS),
    )


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


def subject_file(*, user: User, subject: Subject, purpose: Purpose) -> SubjectFile:
    """Everything `user`'s agency may see about `subject` for `purpose` (the rule above), plus
    list entries agencies may see, measures in force (punishments and redlist incentives)
    with their provenance, and the subject's published credit commitments with their outcome
    (`filings.selectors.commitment_rows`). Three queries whatever the subject holds: its
    records in effect with the grants annotated (uncorrelated subqueries, evaluated once); its
    list entries and measures in force (`entries_and_measures`); its commitments."""
    today = timezone.localdate()
    in_effect = list(
        CreditRecord.objects.in_effect(today)
        .filter(subject=subject)
        .select_related("catalogue_item", "agency__subject")
        .annotate(**_grant_columns(subject.pk, user.agency_id, purpose.pk, today))
        .order_by("-decision_date", "-id")
    )
    grants = _grants_of(
        user.agency_id,
        [getattr(in_effect[0], name) for name in GRANT_COLUMNS] if in_effect else None,
    )
    shown, withheld = [], {}
    for record in in_effect:
        if may_read(record, grants):
            shown.append(record_row(record))
        else:
            code = record.catalogue_item.code
            withheld[code] = withheld.get(code, 0) + 1
    list_entries, measures = entries_and_measures(user=user, subject=subject)
    return SubjectFile(
        subject=subject,
        records=shown,
        withheld=withheld,
        list_entries=list_entries,
        measures=measures,
        commitments=filing_selectors.commitment_rows([subject.pk]).get(subject.pk, []),
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
