"""Reads of the registry shared by the API and the portal."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from registry import identifiers
from registry.models import Agency, FormerName, Subject, SubjectRole, User


def normalised_identifier(query: str) -> str | None:
    """The query as an identifier if it is one (after normalisation), else None."""
    try:
        code, _scheme = identifiers.validate_identifier(query)
    except identifiers.IdentifierError:
        return None
    return code


def subject_search(query: str, qs: QuerySet[Subject] | None = None) -> QuerySet[Subject]:
    """Subjects whose identifier is the query, or whose current or former name contains it.

    Names use LIKE with the pg_trgm GIN indexes; former names via EXISTS so that a renamed
    company is found under its old name without duplicating rows.
    """
    qs = Subject.objects.all() if qs is None else qs
    query = (query or "").strip()
    if not query:
        return qs
    code = normalised_identifier(query)
    if code is not None:
        return qs.filter(identifier=code)
    former = FormerName.objects.filter(subject=OuterRef("pk"), name__icontains=query)
    return qs.filter(Q(name__icontains=query) | Q(Exists(former)))


def subject_detail_queryset() -> QuerySet[Subject]:
    current_roles = SubjectRole.objects.select_related("holder").order_by("role", "started_on")
    return Subject.objects.select_related(
        "division", "registration_authority__subject"
    ).prefetch_related(
        Prefetch("roles", queryset=current_roles),
        "former_names",
    )


def may_view_personal_ids(user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    agency: Agency | None = getattr(user, "agency", None)
    return bool(agency and agency.may_view_personal_ids)


def display_identifier(subject: Subject, *, reveal: bool) -> str:
    return (
        subject.identifier if reveal or not subject.is_natural_person else subject.masked_identifier
    )
