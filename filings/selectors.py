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


def commitment_rows(subject_ids) -> dict[int, list[dict]]:
    """Per subject id, its published credit commitments (newest first) as plain rows, for the
    information-sharing file and credit checks (issue 12: "commitments where they exist").
    One query for any number of subjects; subjects without commitments get no key.

    Row shape: {"id", "type", "type_name", "purpose", "signed_at", "status", "outcome_agency",
    "outcome_at", "breach_record"}; `status` is signed | honoured | broken, `outcome_agency` the
    recording agency's USCC (or None), `breach_record` the credit record of a broken one."""
    rows: dict[int, list[dict]] = {}
    found = (
        CreditCommitment.objects.published()
        .filter(subject_id__in=list(subject_ids))
        .order_by("subject_id", "-signed_at", "-pk")
        .values(
            "subject_id",
            "id",
            "type__code",
            "type__name",
            "type__purpose",
            "signed_at",
            "status",
            "outcome_agency__subject__identifier",
            "outcome_at",
            "breach_record_id",
        )
    )
    for c in found:
        rows.setdefault(c["subject_id"], []).append(
            {
                "id": c["id"],
                "type": c["type__code"],
                "type_name": c["type__name"],
                "purpose": c["type__purpose"],
                "signed_at": c["signed_at"],
                "status": c["status"],
                "outcome_agency": c["outcome_agency__subject__identifier"],
                "outcome_at": c["outcome_at"],
                "breach_record": c["breach_record_id"],
            }
        )
    return rows
