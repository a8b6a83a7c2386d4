"""Reads of lists and entries, scoped to who is asking."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from blacklists.models import EntryState, ListDefinition, ListEntry, shown_publicly
from registry.models import Subject, User


def entries_visible_to(user: User) -> QuerySet[ListEntry]:
    """An agency sees every state of its own entries, and other agencies' entries only once
    published or archived after publication (shared between government bodies); an entry
    ended before it took effect (a revoked draft) stays the owner's. Superusers see all."""
    qs = ListEntry.objects.select_related("list__owner__subject", "subject", "ground", "tier")
    if user.is_superuser:
        return qs
    return qs.filter(
        Q(list__owner_id=user.agency_id)
        | Q(state=EntryState.PUBLISHED)
        | Q(state=EntryState.ENDED, published_at__isnull=False)
    )


def entries_editable_by(user: User) -> QuerySet[ListEntry]:
    qs = ListEntry.objects.select_related("list", "subject", "ground", "tier")
    return qs if user.is_superuser else qs.filter(list__owner_id=user.agency_id)


def list_definitions() -> QuerySet[ListDefinition]:
    return (
        ListDefinition.objects.filter(is_active=True)
        .select_related("owner__subject")
        .prefetch_related("grounds", "tiers")
    )


def public_subjects(at=None) -> QuerySet[Subject]:
    """Subjects the public may see: organisations, and natural persons while listed in
    publicity (`blacklists.models.shown_publicly`, the one rule)."""
    return Subject.objects.filter(shown_publicly(at=at))
