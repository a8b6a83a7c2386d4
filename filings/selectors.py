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
