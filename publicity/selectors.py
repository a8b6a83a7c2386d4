"""Reads of the public portal. Read-only over the registry, lists and sanctions, always through
their public visibility rules:

- list entries: `ListEntry.objects.in_publicity()` (published, public list, in its publicity
  period, not held back by a pending objection);
- credit records: `CreditRecord.objects.visible_to_public()`;
- sanctions: in force, with provenance, and only where the entry behind them is in publicity;
- natural persons: visible only while they have an entry in publicity; everyone else 404s and
  never appears in results. Their identifiers are masked everywhere the portal prints them, and
  their pages are addressed by a signed reference, never by the resident ID.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.core import signing
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from blacklists import selectors as blacklists_selectors
from blacklists.models import (
    ListDefinition,
    ListEntry,
    Objection,
    RepairApplication,
    shown_publicly,
)
from filings import selectors as filing_selectors
from rating import services as rating_services
from rating.models import Rating
from registry import identifiers
from registry import selectors as registry_selectors
from registry.models import (
    CreditRecord,
    Division,
    FormerName,
    RecordRepair,
    RecordType,
    Subject,
    SubjectKind,
    SubjectRole,
)
from sanctions.models import Measure, Memorandum, Sanction
from scs.cache import get_or_stale

PAGE_SIZE = 20
# Candidates collected per branch (current names, former names) before ranking. A boilerplate
# fragment matches most of the table: we take the first this many the cheapest plan yields
# (no ORDER BY, so PostgreSQL may stop a sequential or bitmap scan early; measured on 1M
# names: an ORDER BY id walks the primary key evaluating the bigram function row by row) and
# rank only them.
CANDIDATE_CAP = 200
RECORDS_SHOWN = 50
ENTRIES_SHOWN = 50
STATS_TTL = 600  # seconds; /stats/ and the list index counts are cached this long

# "." is outside the signature alphabet (URL-safe base64), so it separates pk and signature.
_REF_SIGNER = signing.Signer(salt="publicity.subject-ref", sep=".")


# --- who is public ------------------------------------------------------------------------


def entries_in_publicity() -> QuerySet[ListEntry]:
    return ListEntry.objects.in_publicity()


def visible_condition() -> Q:
    """Organisations always; natural persons only while an entry of theirs is in publicity
    (the lists' one rule, `blacklists.models.shown_publicly`)."""
    return shown_publicly()


def public_subjects() -> QuerySet[Subject]:
    return blacklists_selectors.public_subjects()


def subject_ref(subject: Subject) -> str:
    """The address of a subject page: the USCC for organisations, a signed reference for
    natural persons (a resident ID never appears in a link)."""
    if subject.is_natural_person:
        return "p" + _REF_SIGNER.sign(str(subject.pk))
    return subject.identifier


def subject_by_ref(ref: str) -> Subject | None:
    """The visible subject a reference (or a typed identifier) points to, else None."""
    qs = public_subjects().select_related("division", "registration_authority__subject")
    if ref.startswith("p") and "." in ref:
        try:
            pk = _REF_SIGNER.unsign(ref[1:])
        except signing.BadSignature:
            return None
        return qs.filter(pk=int(pk)).first()
    code = registry_selectors.normalised_identifier(ref)
    if code is None:
        return None
    return qs.filter(identifier=code).first()


# --- search ---------------------------------------------------------------------------------


@dataclass
class SearchFilters:
    kind: str = ""
    division: str = ""  # a GB/T 2260 code; province and prefecture codes match beneath them
    on_blacklist: bool = False
    on_redlist: bool = False

    def apply(self, qs: QuerySet[Subject]) -> QuerySet[Subject]:
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.division:
            code = self.division
            if code.endswith("0000"):
                qs = qs.filter(division__code__startswith=code[:2])
            elif code.endswith("00"):
                qs = qs.filter(division__code__startswith=code[:4])
            else:
                qs = qs.filter(division_id=code)
        for wanted, kind in ((self.on_blacklist, "blacklist"), (self.on_redlist, "redlist")):
            if wanted:
                on_list = entries_in_publicity().filter(subject=OuterRef("pk"), list__kind=kind)
                qs = qs.filter(Exists(on_list))
        return qs


@dataclass
class SearchResult:
    query: str
    status: str  # empty | too_short | identifier | name | typo
    rows: list[Subject] = field(default_factory=list)
    page: int = 1
    has_next: bool = False
    total: int = 0  # candidates found, at most 2 * CANDIDATE_CAP
    capped: bool = False  # more matches exist than were ranked: ask for a longer query
    invalid_identifier: str = ""  # why an identifier-shaped query is not a valid code
    personal_id: bool = False  # the query was a resident ID; `query` then holds it masked

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1


def _identifier_problem(query: str) -> str:
    """An 18-character code-like query that fails validation: the validator's message."""
    normalised = identifiers.normalise(query)
    if len(normalised) == 18 and normalised.isascii() and normalised.isalnum():
        try:
            identifiers.validate_identifier(normalised)
        except identifiers.IdentifierError as exc:
            return exc.message
    return ""


def search(query: str, filters: SearchFilters | None = None, page: int = 1) -> SearchResult:
    """The portal's search: registry.selectors.subject_search (the one search selector of
    the portal, the API and the admin) over public subjects and the filters, plus badges.
    A resident ID typed in is answered masked; a 15-digit one is upgraded first."""
    filters = filters or SearchFilters()
    found = registry_selectors.subject_search(
        query, base=filters.apply(public_subjects()), page=page, page_size=PAGE_SIZE
    )
    result = SearchResult(
        found.query,
        found.status,
        rows=found.rows,
        page=found.page,
        has_next=found.has_next,
        total=found.total,
        capped=found.capped,
    )
    match = found.identifier
    if match is not None and match.code and identifiers.is_resident_id(match.code):
        result.personal_id = True
        result.query = identifiers.mask_resident_id(match.code)
    if found.status in ("name", "typo") and result.total == 0:
        result.invalid_identifier = _identifier_problem(found.query)
    _attach_badges(result.rows)
    return result


def _attach_badges(subjects: list[Subject]) -> None:
    """subject.badges: the kinds of public lists the subject is on now (one query)."""
    by_subject: dict[int, set[str]] = {s.pk: set() for s in subjects}
    if subjects:
        pairs = (
            entries_in_publicity()
            .filter(subject_id__in=list(by_subject))
            .values_list("subject_id", "list__kind")
            .distinct()
        )
        for subject_id, kind in pairs:
            by_subject[subject_id].add(kind)
    order = ["blacklist", "watchlist", "redlist"]
    for s in subjects:
        s.badges = [k for k in order if k in by_subject[s.pk]]


@functools.lru_cache(maxsize=1)
def provinces() -> tuple[tuple[str, str, str], ...]:
    """(code, Chinese name, English name) of province-level divisions: static reference data."""
    rows = Division.objects.filter(level=Division.Level.PROVINCE).order_by("code")
    return tuple(rows.values_list("code", "name_zh", "name_en"))


# --- the subject page -----------------------------------------------------------------------


@dataclass
class SubjectPage:
    subject: Subject
    former_names: list[FormerName]
    roles: list[SubjectRole]
    records: list[CreditRecord]
    more_records: bool
    entries: list[ListEntry]
    punishments: list[Sanction]
    incentives: list[Sanction]
    rating: Rating | None = None
    changes: list = field(default_factory=list)
    commitments: list = field(default_factory=list)
    self_info: object = None

    @property
    def double_publicity(self) -> list[CreditRecord]:
        kinds = (RecordType.ADMINISTRATIVE_LICENCE, RecordType.ADMINISTRATIVE_PENALTY)
        return [r for r in self.records if r.catalogue_item.record_type in kinds]

    @property
    def other_records(self) -> list[CreditRecord]:
        kinds = (RecordType.ADMINISTRATIVE_LICENCE, RecordType.ADMINISTRATIVE_PENALTY)
        return [r for r in self.records if r.catalogue_item.record_type not in kinds]


def subject_page(subject: Subject) -> SubjectPage:
    """Everything public about one subject in a bounded number of queries (ten, plus the
    rating's few), whatever the data size."""
    today = timezone.localdate()
    former_names = list(subject.former_names.order_by("-valid_until"))
    roles = list(
        SubjectRole.objects.current(today)
        .filter(organisation=subject)
        .select_related("holder")
        .annotate(
            holder_visible=ExpressionWrapper(
                shown_publicly("holder", today), output_field=BooleanField()
            )
        )
        .order_by("role", "started_on", "pk")
    )
    records = list(
        CreditRecord.objects.visible_to_public(today)
        .filter(subject=subject)
        .select_related("catalogue_item", "agency__subject")
        .order_by("-decision_date", "-pk")[: RECORDS_SHOWN + 1]
    )
    entries = list(
        entries_in_publicity()
        .filter(subject=subject)
        .select_related("list__owner__subject", "ground", "tier")
        .order_by("-starts_on", "-pk")[:ENTRIES_SHOWN]
    )
    sanctions = list(
        Sanction.objects.in_force()
        .with_provenance()
        .filter(target=subject, entry__in=entries_in_publicity().values("pk"))
        .order_by("measure__memorandum__effective_from", "measure__code", "pk")
    )
    changes, commitments, self_info = [], [], None
    if not subject.is_natural_person:  # natural persons: name and masked ID only
        changes = list(subject.changes.order_by("-changed_on", "-pk"))
        commitments = list(filing_selectors.commitments_of(subject))
        self_info = filing_selectors.self_info_of(subject)
    return SubjectPage(
        subject=subject,
        changes=changes,
        commitments=commitments,
        self_info=self_info,
        former_names=former_names,
        roles=roles,
        records=records[:RECORDS_SHOWN],
        more_records=len(records) > RECORDS_SHOWN,
        entries=entries,
        punishments=[s for s in sanctions if s.measure.kind == Measure.Kind.PUNISHMENT],
        incentives=[s for s in sanctions if s.measure.kind == Measure.Kind.INCENTIVE],
        rating=rating_services.rating_current(subject),
    )


# --- lists and memoranda --------------------------------------------------------------------


def public_lists() -> QuerySet[ListDefinition]:
    return (
        ListDefinition.objects.public()
        .select_related("owner__subject")
        .order_by("kind", "owner__short_name", "name")
    )


def public_list(pk: int) -> ListDefinition | None:
    return public_lists().prefetch_related("grounds", "tiers", "memoranda").filter(pk=pk).first()


@dataclass
class EntryPage:
    entries: list[ListEntry]
    next_before: int | None


def list_entries_page(
    definition: ListDefinition,
    *,
    ground: str = "",
    kind: str = "",
    before: int | None = None,
) -> EntryPage:
    """A list's entries in publicity, newest first, paged by id (no OFFSET, no COUNT)."""
    qs = (
        entries_in_publicity()
        .filter(list=definition)
        .select_related("subject__division", "ground", "tier")
        .order_by("-pk")
    )
    if ground:
        qs = qs.filter(ground__code=ground)
    if kind == "person":
        qs = qs.filter(subject__kind=SubjectKind.NATURAL_PERSON)
    elif kind == "organisation":
        qs = qs.exclude(subject__kind=SubjectKind.NATURAL_PERSON)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: PAGE_SIZE + 1])
    next_before = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    return EntryPage(rows[:PAGE_SIZE], next_before)


def memoranda() -> QuerySet[Memorandum]:
    return Memorandum.objects.annotate(
        signatory_count=Count("signatories", distinct=True),
        measure_count=Count(
            "measures", filter=Q(measures__withdrawn_at__isnull=True), distinct=True
        ),
    ).order_by("-effective_from", "key")


def memorandum(pk: int) -> Memorandum | None:
    measures = (
        Measure.objects.active()
        .select_related("implementing_agency__subject")
        .prefetch_related("co_listings__list")
        .order_by("kind", "code")
    )
    return (
        Memorandum.objects.prefetch_related(
            Prefetch("signatories", queryset=_agencies()),
            Prefetch("triggering_lists", queryset=ListDefinition.objects.select_related("owner")),
            Prefetch("measures", queryset=measures, to_attr="active_measures"),
        )
        .filter(pk=pk)
        .first()
    )


def _agencies():
    from registry.models import Agency

    return Agency.objects.select_related("subject").order_by("short_name")


# --- objections, repairs, tracking --------------------------------------------------------


def entry_for_submission(entry_id: str | int | None) -> ListEntry | None:
    """An entry the public may object to or apply to repair: one it can see."""
    try:
        pk = int(entry_id or 0)
    except (TypeError, ValueError):
        return None
    return (
        entries_in_publicity()
        .select_related("list__owner__subject", "subject", "ground", "tier")
        .filter(pk=pk)
        .first()
    )


def record_for_repair(record_id: str | int | None) -> CreditRecord | None:
    """A penalty record the public may apply to repair: one it can see."""
    try:
        pk = int(record_id or 0)
    except (TypeError, ValueError):
        return None
    return (
        CreditRecord.objects.visible_to_public()
        .filter(catalogue_item__record_type="administrative_penalty", pk=pk)
        .select_related("catalogue_item", "agency__subject", "subject")
        .first()
    )


@dataclass
class Tracked:
    kind: str  # objection | repair | record_repair
    item: Objection | RepairApplication | RecordRepair


def tracked(number: str) -> Tracked | None:
    number = (number or "").strip().upper()[:32]
    if not number:
        return None
    related = ("entry__list__owner__subject",)
    objection = Objection.objects.select_related(*related).filter(tracking_number=number).first()
    if objection is not None:
        return Tracked("objection", objection)
    repair = RepairApplication.objects.select_related(*related).filter(tracking_number=number)
    application = repair.first()
    if application is not None:
        return Tracked("repair", application)
    record_repair = (
        RecordRepair.objects.select_related("record__agency__subject", "record__catalogue_item")
        .filter(tracking_number=number)
        .first()
    )
    return Tracked("record_repair", record_repair) if record_repair is not None else None


def evidence_holder(number: str) -> Objection | RepairApplication | None:
    """The objection or repair application with this tracking number (for its evidence)."""
    found = tracked(number)
    return found.item if found is not None else None


# --- statistics ---------------------------------------------------------------------------


def _months_back(today: datetime.date, months: int) -> datetime.date:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return datetime.date(index // 12, index % 12 + 1, 1)


def _compute_stats() -> dict:
    today = timezone.localdate()
    live = entries_in_publicity()
    per_list = list(
        live.values("list_id", "list__name", "list__name_en", "list__kind")
        .annotate(n=Count("pk"))
        .order_by("-n", "list__name")
    )
    per_agency = list(
        live.values("list__owner_id", "list__owner__short_name", "list__owner__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "list__owner__short_name")
    )
    since = _months_back(today, 12)
    monthly = dict(
        ListEntry.objects.filter(list__is_public=True, starts_on__gte=since)
        .annotate(month=TruncMonth("starts_on"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    per_month = []
    for i in range(12):
        month = _months_back(today, 12 - i)
        count = next(
            (n for m, n in monthly.items() if (m.year, m.month) == (month.year, month.month)), 0
        )
        per_month.append({"month": month, "n": count})
    return {
        "per_list": per_list,
        "per_agency": per_agency,
        "per_month": per_month,
        "total": sum(row["n"] for row in per_list),
        "timeliness": registry_selectors.timeliness_by_agency(),
        "computed_at": timezone.now(),
    }


def stats(*, fresh: bool = False) -> dict:
    """Counts of entries in publicity per list and agency, and publications per month.
    Cached STATS_TTL seconds: counting a large table on every page view is not free."""
    key = f"publicity:stats:{timezone.localdate():%Y%m%d}"
    return get_or_stale(key, _compute_stats, STATS_TTL, fresh=fresh)
