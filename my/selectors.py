"""Reads of the subject's window: the whole file of one subject, in every visibility tier.

Every function takes the account's subject and filters on it; nothing here accepts an id
from the request without that filter (an account sees its own subject, never another's).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from blacklists.models import EntryState, ListEntry, Objection, RepairApplication
from filings import selectors as filing_selectors
from registry.models import Agency, CatalogueItem, CreditRecord, Subject
from sanctions.models import Sanction
from sharing import selectors as sharing_selectors
from sharing.models import Consent, Purpose

# The agency's working documents are not yet decisions about the subject: a draft or an
# entry awaiting its reviewer is not shown; from approval on, the subject sees it.
FILE_ENTRY_STATES = (
    EntryState.APPROVED,
    EntryState.NOTIFIED,
    EntryState.PUBLISHED,
    EntryState.ENDED,
)


@dataclass
class SubjectFile:
    subject: Subject
    records: list[CreditRecord]
    entries: list[ListEntry]
    sanctions: list[Sanction]
    today: datetime.date
    commitments: list = field(default_factory=list)

    @property
    def current_records(self) -> list[CreditRecord]:
        return [r for r in self.records if not r.out_of_publicity]

    @property
    def expired_records(self) -> list[CreditRecord]:
        return [r for r in self.records if r.out_of_publicity]


def subject_entries(subject: Subject) -> QuerySet[ListEntry]:
    return (
        ListEntry.objects.filter(subject=subject, state__in=FILE_ENTRY_STATES)
        .select_related("list__owner__subject", "ground", "tier", "subject")
        .order_by("-decision_date", "-pk")
    )


def subject_file(subject: Subject) -> SubjectFile:
    """Every record (public, government-only, restricted; in or past publicity), every
    entry from approval on (published or not, ended ones with their reason) and every
    sanction on the subject (in force or lifted), with agency and legal basis, and the
    subject's credit commitments. Five queries."""
    today = timezone.localdate()
    records = list(
        CreditRecord.objects.filter(subject=subject)
        .select_related("catalogue_item", "agency__subject")
        .order_by("-decision_date", "-pk")
    )
    for record in records:
        record.out_of_publicity = bool(
            record.publicity_ends_on and record.publicity_ends_on <= today
        )
    entries = list(subject_entries(subject))
    sanctions = list(
        Sanction.objects.with_provenance()
        .filter(target=subject)
        .order_by("status", "-imposed_at", "pk")
    )
    commitments = list(filing_selectors.commitments_of(subject))
    return SubjectFile(subject, records, entries, sanctions, today, commitments)


def own_entry(subject: Subject, entry_id) -> ListEntry | None:
    """An entry of this subject the account may act on (object to, apply to repair)."""
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        return None
    return subject_entries(subject).filter(pk=pk).first()


@dataclass
class Dispute:
    kind: str  # objection | repair
    item: Objection | RepairApplication

    @property
    def filed_at(self) -> datetime.datetime:
        return self.item.filed_at


def disputes(subject: Subject) -> list[Dispute]:
    """Objections and repair applications about this subject's entries, signed in or
    anonymous alike, newest first, with deadline and decision."""
    related = ("entry__list__owner__subject",)
    objections = Objection.objects.filter(entry__subject=subject).select_related(*related)
    repairs = RepairApplication.objects.filter(entry__subject=subject).select_related(*related)
    rows = [Dispute("objection", o) for o in objections]
    rows += [Dispute("repair", r) for r in repairs]
    return sorted(rows, key=lambda d: d.filed_at, reverse=True)


# --- who looked (the access log of the subject's own file) ---------------------------------


@dataclass(frozen=True)
class AccessLogFilters:
    """Filters of /my/access-log/: an agency id, a purpose code, a date range (inclusive, in
    the platform's time zone). Empty values filter nothing."""

    agency: int | None = None
    purpose: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def access_log(subject: Subject, filters: AccessLogFilters | None = None) -> QuerySet:
    """Consultations of this subject's file (API file and credit checks, admin page views,
    operations commands), newest first, built on `sharing.selectors.consultations_of_subject`.

    Row values: at, agency name and USCC, channel, purpose code, reference, outcome. The
    officer's username and user id are never selected (issue 13: the individual officer's name
    is not shown to the subject); a consultation that named no subject is never here."""
    filters = filters or AccessLogFilters()
    rows = sharing_selectors.consultations_of_subject(subject)
    if filters.agency:
        rows = rows.filter(agency_id=filters.agency)
    if filters.purpose:
        rows = rows.filter(purpose=filters.purpose)
    if filters.date_from:
        rows = rows.filter(at__date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(at__date__lte=filters.date_to)
    return rows.order_by("-at", "-id").values(
        "id",
        "at",
        "agency_id",
        "agency__subject__name",
        "agency__subject__identifier",
        "channel",
        "purpose",
        "reference",
        "outcome",
    )


def access_log_agencies(subject: Subject) -> QuerySet[Agency]:
    """The agencies that consulted this subject's file (the filter's choices)."""
    agency_ids = sharing_selectors.consultations_of_subject(subject).values("agency_id")
    return Agency.objects.filter(pk__in=agency_ids).select_related("subject").order_by("pk")


def purpose_names() -> dict[str, Purpose]:
    """Every purpose by code, also retired ones (old log rows still name them)."""
    return {p.code: p for p in Purpose.objects.all()}


# --- consent -------------------------------------------------------------------------------


def consents(subject: Subject) -> tuple[list[Consent], list[Consent]]:
    """(in force, past) consents this subject gave: in force = valid today and not withdrawn;
    past = withdrawn, expired or not yet started. Items prefetched."""
    today = timezone.localdate()
    every = list(
        sharing_selectors.consents_of(subject)
        .prefetch_related("items")
        .order_by("-recorded_at", "-pk")
    )
    valid = set(sharing_selectors.consents_of(subject).valid(today).values_list("pk", flat=True))
    return [c for c in every if c.pk in valid], [c for c in every if c.pk not in valid]


def email_has_account_elsewhere(subject: Subject, email: str) -> bool:
    """Whether this address holds an account of another subject (never told to the inviter)."""
    from my.models import SubjectAccount

    address = (email or "").strip()
    return SubjectAccount.objects.filter(email__iexact=address).exclude(subject=subject).exists()


def own_consent(subject: Subject, consent_id) -> Consent | None:
    try:
        pk = int(consent_id)
    except (TypeError, ValueError):
        return None
    return Consent.objects.filter(subject=subject, pk=pk).first()


def restricted_items() -> QuerySet[CatalogueItem]:
    """Catalogue items a consent can name (only restricted data needs consent)."""
    return CatalogueItem.objects.filter(visibility=CatalogueItem.Visibility.RESTRICTED).order_by(
        "code"
    )


def consultable_agencies() -> QuerySet[Agency]:
    return Agency.objects.select_related("subject").order_by("subject__name")
