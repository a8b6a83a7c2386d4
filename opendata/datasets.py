"""What the open data export publishes: the portal's public data, one dataset per record type.

Each dataset yields plain dicts in ascending `id` order, read with server-side cursors in
chunks (memory does not grow with the table). The visibility rules are the portal's
(publicity/selectors.py docstring), applied through the owning apps' querysets:

- list entries: `ListEntry.objects.in_publicity()` (published, public list, within publicity,
  not held back by a pending objection);
- subjects: those with an entry in publicity (a natural person only while listed);
- double publicity: licences and penalties `visible_to_public()`, of organisations, or of a
  natural person only while listed (`blacklists.models.shown_publicly`, the portal's rule);
- natural persons: name and masked resident ID (`Subject.masked_identifier`), never the full ID.
  Free text written by clerks (facts, content) has any resident ID it contains masked too.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from blacklists.models import ListDefinition, ListEntry, shown_publicly
from registry import identifiers
from registry.models import CreditRecord, RecordType, Subject, SubjectKind
from sanctions.models import Measure, Memorandum

CHUNK = 2000
DOUBLE_PUBLICITY_TYPES = (RecordType.ADMINISTRATIVE_LICENCE, RecordType.ADMINISTRATIVE_PENALTY)
# 18 characters shaped like a resident ID, not inside a longer run of digits/letters.
_RID_SHAPE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def redact_resident_ids(text: str) -> str:
    """Mask every valid resident ID inside free text with the registry's one masking function.
    Full-width digits are normalised first (a clerk's IME may type them)."""
    if not text:
        return text
    text = text.translate(_FULLWIDTH)

    def mask(match: re.Match) -> str:
        code = match.group(0).upper()
        return identifiers.mask_resident_id(code) if identifiers.is_resident_id(code) else code

    return _RID_SHAPE.sub(mask, text)


_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF38: ord("X"), 0xFF58: ord("x")}


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _public_identifier(kind: str, identifier: str) -> str:
    if kind == SubjectKind.NATURAL_PERSON:
        return identifiers.mask_resident_id(identifier)
    return identifier


def _listed(today: datetime.date, field: str = "pk") -> Exists:
    return Exists(ListEntry.objects.in_publicity(today).filter(subject=OuterRef(field)))


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple[str, ...]
    rows: Callable[[datetime.date], Iterator[dict]]
    description: str


def subject_rows(today: datetime.date) -> Iterator[dict]:
    qs = (
        Subject.objects.filter(_listed(today))
        .order_by("pk")
        .values_list("pk", "kind", "identifier", "name", "division_id", "status")
    )
    for pk, kind, identifier, name, division, status in qs.iterator(chunk_size=CHUNK):
        yield {
            "id": pk,
            "kind": kind,
            "identifier": _public_identifier(kind, identifier),
            "name": name,
            "division": division,
            "status": status,
        }


def list_entry_rows(today: datetime.date) -> Iterator[dict]:
    qs = (
        ListEntry.objects.in_publicity(today)
        .order_by("pk")
        .values_list(
            "pk",
            "list_id",
            "list__key",
            "subject_id",
            "subject__kind",
            "subject__identifier",
            "subject__name",
            "ground__code",
            "ground__text",
            "ground__legal_basis",
            "tier__tier",
            "decision_number",
            "decision_date",
            "decision_issuer",
            "facts",
            "starts_on",
            "ends_on",
            "publicity_ends_on",
        )
    )
    for row in qs.iterator(chunk_size=CHUNK):
        (pk, list_id, list_key, subject_id, kind, identifier, name, ground, ground_text) = row[:9]
        (basis, tier, number, decided, issuer, facts, starts, ends, publicity_ends) = row[9:]
        yield {
            "id": pk,
            "list_id": list_id,
            "list_key": list_key,
            "subject_id": subject_id,
            "subject_kind": kind,
            "subject_identifier": _public_identifier(kind, identifier),
            "subject_name": name,
            "ground": ground,
            "ground_text": ground_text,
            "ground_legal_basis": basis,
            "tier": tier,
            "decision_number": number,
            "decision_date": _date(decided),
            "decision_issuer": issuer,
            "facts": redact_resident_ids(facts),
            "starts_on": _date(starts),
            "ends_on": _date(ends),
            "publicity_ends_on": _date(publicity_ends),
        }


def double_publicity_rows(today: datetime.date) -> Iterator[dict]:
    qs = (
        CreditRecord.objects.visible_to_public(today)
        .filter(catalogue_item__record_type__in=DOUBLE_PUBLICITY_TYPES)
        .filter(shown_publicly("subject", today))  # natural persons only while listed
        .order_by("pk")
        .values_list(
            "pk",
            "catalogue_item__record_type",
            "catalogue_item__code",
            "subject_id",
            "subject__kind",
            "subject__identifier",
            "subject__name",
            "agency__subject__name",
            "decision_number",
            "decision_date",
            "title",
            "content",
            "legal_basis",
            "publicity_ends_on",
        )
    )
    for row in qs.iterator(chunk_size=CHUNK):
        (pk, record_type, item, subject_id, kind, identifier, name, agency) = row[:8]
        (number, decided, title, content, basis, publicity_ends) = row[8:]
        yield {
            "id": pk,
            "record_type": record_type,
            "catalogue_item": item,
            "subject_id": subject_id,
            "subject_kind": kind,
            "subject_identifier": _public_identifier(kind, identifier),
            "subject_name": name,
            "agency": agency,
            "decision_number": number,
            "decision_date": _date(decided),
            "title": redact_resident_ids(title),
            "content": redact_resident_ids(content),
            "legal_basis": basis,
            "publicity_ends_on": _date(publicity_ends),
        }


def list_rows(today: datetime.date) -> Iterator[dict]:
    for d in ListDefinition.objects.public().select_related("owner__subject").order_by("pk"):
        yield {
            "id": d.pk,
            "key": d.key,
            "kind": d.kind,
            "name": d.name,
            "name_en": d.name_en,
            "owner": d.owner.subject.name,
            "owner_identifier": d.owner.subject.identifier,
            "legal_basis": f"{d.legal_basis_instrument} {d.legal_basis_article}".strip(),
            "subject_kinds": sorted(d.subject_kinds),
            "publicity_months": d.publicity_months,
            "objection_window_days": d.objection_window_days,
            "may_trigger_joint_measures": d.may_trigger_joint_measures,
        }


def memorandum_rows(today: datetime.date) -> Iterator[dict]:
    qs = Memorandum.objects.prefetch_related("triggering_lists", "signatories__subject")
    for m in qs.order_by("pk"):
        yield {
            "id": m.pk,
            "key": m.key,
            "title": m.title,
            "title_en": m.title_en,
            "document_number": m.document_number,
            "signed_on": _date(m.signed_on),
            "effective_from": _date(m.effective_from),
            "effective_until": _date(m.effective_until),
            "triggering_lists": sorted(d.key for d in m.triggering_lists.all() if d.is_public),
            "signatories": sorted(a.subject.name for a in m.signatories.all()),
        }


def measure_rows(today: datetime.date) -> Iterator[dict]:
    qs = Measure.objects.active().select_related("implementing_agency__subject", "memorandum")
    for m in qs.order_by("pk"):
        yield {
            "id": m.pk,
            "memorandum_id": m.memorandum_id,
            "memorandum_key": m.memorandum.key,
            "code": m.code,
            "text": m.text,
            "text_en": m.text_en,
            "kind": m.kind,
            "implementing_agency": m.implementing_agency.subject.name,
            "legal_basis": m.legal_basis,
            "mandatory": m.mandatory,
            "targets": m.targets,
            "target_basis": m.target_basis,
        }


def statistics_rows(today: datetime.date) -> Iterator[dict]:
    counts = dict(
        ListEntry.objects.in_publicity(today)
        .values_list("list_id")
        .annotate(n=Count("pk"))
        .values_list("list_id", "n")
    )
    for d in ListDefinition.objects.public().order_by("pk"):
        yield {
            "id": d.pk,
            "list_key": d.key,
            "list_name": d.name,
            "entries_in_publicity": counts.get(d.pk, 0),
            "as_of": today.isoformat(),
        }


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "subjects",
        tuple("id kind identifier name division status".split()),
        subject_rows,
        "Subjects with an entry in publicity (natural persons: masked ID).",
    ),
    Dataset(
        "list_entries",
        tuple(
            "id list_id list_key subject_id subject_kind subject_identifier subject_name ground "
            "ground_text ground_legal_basis tier decision_number decision_date decision_issuer "
            "facts starts_on ends_on publicity_ends_on".split()
        ),
        list_entry_rows,
        "List entries in publicity.",
    ),
    Dataset(
        "double_publicity",
        tuple(
            "id record_type catalogue_item subject_id subject_kind subject_identifier "
            "subject_name agency decision_number decision_date title content legal_basis "
            "publicity_ends_on".split()
        ),
        double_publicity_rows,
        "Administrative licences and penalties in their publicity period.",
    ),
    Dataset(
        "lists",
        tuple(
            "id key kind name name_en owner owner_identifier legal_basis subject_kinds "
            "publicity_months objection_window_days may_trigger_joint_measures".split()
        ),
        list_rows,
        "Public list definitions.",
    ),
    Dataset(
        "memoranda",
        tuple(
            "id key title title_en document_number signed_on effective_from effective_until "
            "triggering_lists signatories".split()
        ),
        memorandum_rows,
        "Memoranda of understanding.",
    ),
    Dataset(
        "measures",
        tuple(
            "id memorandum_id memorandum_key code text text_en kind implementing_agency "
            "legal_basis mandatory targets target_basis".split()
        ),
        measure_rows,
        "Measures of memoranda (not withdrawn).",
    ),
    Dataset(
        "statistics",
        tuple("id list_key list_name entries_in_publicity as_of".split()),
        statistics_rows,
        "Entries in publicity per public list.",
    ),
)
DATASET_NAMES = tuple(d.name for d in DATASETS)


def today() -> datetime.date:
    return timezone.localdate()
