"""Reads of subject filings, for the portal and the subject's window."""

from __future__ import annotations

from django.db.models import QuerySet

from filings.models import CommitmentType, CreditCommitment, SelfPublishedInfo
from registry.models import Subject


def commitments_of(subject: Subject) -> QuerySet[CreditCommitment]:
    return (
        CreditCommitment.objects.published()
        .filter(subject=subject)
        .select_related("type", "outcome_agency__subject")
        .order_by("-signed_at", "-pk")
    )


def offered_types() -> QuerySet[CommitmentType]:
    return CommitmentType.objects.filter(is_active=True).order_by("purpose", "code")


def self_info_of(subject: Subject) -> SelfPublishedInfo | None:
    return SelfPublishedInfo.objects.filter(subject=subject).prefetch_related("changes").first()


# A published commitment as the file and credit checks show it: (key in the row, ORM path from
# CreditCommitment), in the row's order; `signed_at` and `outcome_at` are datetimes.
COMMITMENT_COLUMNS = (
    ("id", "id"),
    ("type", "type__code"),
    ("type_name", "type__name"),
    ("purpose", "type__purpose"),
    ("signed_at", "signed_at"),
    ("status", "status"),
    ("outcome_agency", "outcome_agency__subject__identifier"),
    ("outcome_at", "outcome_at"),
    ("breach_record", "breach_record_id"),
)
# Newest first (after the subject, when several subjects are read at once).
COMMITMENT_ORDER = ("-signed_at", "-pk")


def commitments_published() -> QuerySet[CreditCommitment]:
    """The commitments the file and credit checks show (all but withdrawn), unordered: with
    COMMITMENT_COLUMNS and COMMITMENT_ORDER, the one definition of a commitment row."""
    return CreditCommitment.objects.published()


def commitment_rows(subject_ids) -> dict[int, list[dict]]:
    """Per subject id, its published credit commitments (newest first) as plain rows, for the
    information-sharing file and credit checks (issue 12: "commitments where they exist").
    One query for any number of subjects; subjects without commitments get no key.

    Row shape (COMMITMENT_COLUMNS): {"id", "type", "type_name", "purpose", "signed_at",
    "status", "outcome_agency", "outcome_at", "breach_record"}; `status` is signed | honoured |
    broken, `outcome_agency` the recording agency's USCC (or None), `breach_record` the credit
    record of a broken one."""
    rows: dict[int, list[dict]] = {}
    found = (
        commitments_published()
        .filter(subject_id__in=list(subject_ids))
        .order_by("subject_id", *COMMITMENT_ORDER)
        .values_list("subject_id", *(path for _key, path in COMMITMENT_COLUMNS))
    )
    keys = [key for key, _path in COMMITMENT_COLUMNS]
    for subject_id, *values in found:
        rows.setdefault(subject_id, []).append(dict(zip(keys, values, strict=True)))
    return rows
