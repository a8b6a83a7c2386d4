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

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from blacklists.models import EntryState, ListEntry, ListKind
from blacklists.selectors import entries_visible_to
from registry import selectors as registry_selectors
from registry.models import CatalogueItem, CreditRecord, Subject, User
from sanctions.models import Sanction
from sharing.models import Consent, Consultation, Purpose

HOW_TO_CONSENT = (
    "Restricted records exist. They are shared only with the subject's written consent for this "
    "agency and purpose (Shanghai Social Credit Regulations art. 17): upload the signed consent "
    "with POST /api/v1/consents/, then consult the file again."
)


class PurposeError(ValueError):
    def __init__(self, purposes: list[dict]):
        super().__init__("invalid purpose")
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


def grants_for(
    *, subject: Subject, agency_id: int, purpose: Purpose, restricted_item_ids
) -> Grants:
    """Entitlements and valid consents, read only when restricted records exist."""
    if not restricted_item_ids:
        return Grants(agency_id, frozenset(), False, frozenset())
    entitled = frozenset(
        CatalogueItem.entitled_agencies.through.objects.filter(
            agency_id=agency_id, catalogueitem_id__in=restricted_item_ids
        ).values_list("catalogueitem_id", flat=True)
    )
    consents = list(
        Consent.objects.valid()
        .filter(subject=subject, agency_id=agency_id, purpose=purpose)
        .values_list("id", "all_restricted")
    )
    consent_all = any(all_ for _id, all_ in consents)
    item_ids: frozenset[int] = frozenset()
    if consents and not consent_all:
        item_ids = frozenset(
            Consent.items.through.objects.filter(
                consent_id__in=[c for c, _a in consents]
            ).values_list("catalogueitem_id", flat=True)
        )
    return Grants(agency_id, entitled, consent_all, item_ids)


def records_in_effect(subject: Subject, at: datetime.date | None = None) -> list[CreditRecord]:
    return list(
        CreditRecord.objects.in_effect(at)
        .filter(subject=subject)
        .select_related("catalogue_item", "agency__subject")
        .order_by("-decision_date", "-id")
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


def entry_row(entry: ListEntry) -> dict:
    return {
        "id": entry.pk,
        "list": entry.list.key,
        "list_name": entry.list.name,
        "kind": entry.list.kind,
        "owner": entry.list.owner.subject.identifier,
        "state": entry.state,
        "decision_number": entry.decision_number,
        "decision_date": entry.decision_date,
        "starts_on": entry.starts_on,
        "ends_on": entry.ends_on,
        "end_reason": entry.end_reason,
    }


def sanction_row(sanction: Sanction) -> dict:
    measure = sanction.measure
    return {
        "id": sanction.pk,
        "kind": measure.kind,
        "measure": measure.code,
        "measure_text": measure.text,
        "legal_basis": measure.legal_basis,
        "implementing_agency": measure.implementing_agency.subject.identifier,
        "memorandum": measure.memorandum.document_number,
        "list_entry": sanction.entry_id,
        "list": sanction.entry.list.key,
        "imposed_at": sanction.imposed_at,
    }


@dataclasses.dataclass
class SubjectFile:
    subject: Subject
    records: list[dict]
    withheld: dict[str, int]
    list_entries: list[dict]
    measures: list[dict]

    @property
    def returned_items(self) -> list[dict]:
        return [{"record": r["id"], "item": r["catalogue_item"]} for r in self.records]


def subject_file(*, user: User, subject: Subject, purpose: Purpose) -> SubjectFile:
    """Everything `user`'s agency may see about `subject` for `purpose` (the rule above), plus
    list entries agencies may see and measures in force (punishments and redlist incentives)
    with their provenance. About 7 queries whatever the subject holds."""
    today = timezone.localdate()
    in_effect = records_in_effect(subject, today)
    restricted_ids = {
        r.catalogue_item_id
        for r in in_effect
        if r.catalogue_item.visibility == CatalogueItem.Visibility.RESTRICTED
    }
    grants = grants_for(
        subject=subject,
        agency_id=user.agency_id,
        purpose=purpose,
        restricted_item_ids=restricted_ids,
    )
    shown, withheld = [], {}
    for record in in_effect:
        if may_read(record, grants):
            shown.append(record_row(record))
        else:
            code = record.catalogue_item.code
            withheld[code] = withheld.get(code, 0) + 1
    entries = (
        entries_visible_to(user)
        .filter(subject=subject)
        .select_related("list__owner__subject")
        .order_by("-id")
    )
    sanctions = (
        Sanction.objects.in_force()
        .filter(target=subject)
        .with_provenance()
        .order_by("measure__memorandum_id", "measure__code")
    )
    return SubjectFile(
        subject=subject,
        records=shown,
        withheld=withheld,
        list_entries=[entry_row(e) for e in entries],
        measures=[sanction_row(s) for s in sanctions],
    )


# --- credit checks ---------------------------------------------------------------------------


def credit_check(*, user: User, subject_ids: list[int]) -> dict[int, dict]:
    """Per subject id: entries in force on blacklists / redlists / watch lists, the measures the
    caller implements, and the count of penalties in publicity. Four queries for any number."""
    result: dict[int, dict] = {
        sid: {"lists": [], "measures": [], "penalties_in_publicity": 0} for sid in subject_ids
    }
    entries = (
        ListEntry.objects.filter(subject_id__in=subject_ids, state=EntryState.PUBLISHED)
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
            .filter(target_id__in=subject_ids, implementing_agency_id=user.agency_id)
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
        .filter(subject_id__in=subject_ids, catalogue_item__record_type="administrative_penalty")
        .exclude(catalogue_item__visibility=CatalogueItem.Visibility.RESTRICTED)
        .values_list("subject_id", flat=True)
    )
    for sid in penalties:
        result[sid]["penalties_in_publicity"] += 1
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
