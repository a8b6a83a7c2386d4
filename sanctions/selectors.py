"""Reads of sanctions for implementing agencies, the portal and the admin."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from registry.models import Subject
from sanctions.models import Sanction, SanctionEvent

CURSOR_PREFIX = "sf1:"


def encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """0 for no cursor; ValueError for a cursor this server did not issue."""
    if not cursor:
        return 0
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not a feed cursor") from exc
    if not raw.startswith(CURSOR_PREFIX) or not raw[len(CURSOR_PREFIX) :].isdigit():
        raise ValueError("not a feed cursor")
    return int(raw[len(CURSOR_PREFIX) :])


FEED_FIELDS = {
    "event_id": F("id"),
    "sanction_id_": F("sanction_id"),
    "target": F("sanction__target__identifier"),
    "target_kind": F("sanction__target__kind"),
    "target_name": F("sanction__target__name"),
    "measure": F("sanction__measure__code"),
    "measure_text": F("sanction__measure__text"),
    "memorandum": F("sanction__measure__memorandum__document_number"),
    "list_entry": F("sanction__entry_id"),
    "list": F("sanction__entry__list__key"),
}


def feed_page(*, agency_id: int, after: int, limit: int) -> tuple[list[dict], bool]:
    """Events of measures the agency implements, in id order (ids commit in order).

    Two steps: the page's ids from the (agency, id) index, then the joined columns for those
    rows only, as plain values (a feed page is read by machines; no model objects needed).
    """
    ids = list(
        SanctionEvent.objects.filter(implementing_agency_id=agency_id, id__gt=after)
        .order_by("id")
        .values_list("id", flat=True)[: limit + 1]
    )
    rows = list(
        SanctionEvent.objects.filter(id__in=ids[:limit])
        .order_by("id")
        .values("kind", "at", "reason", **FEED_FIELDS)
    )
    for row in rows:
        row["sanction_id"] = row.pop("sanction_id_")
    return rows, len(ids) > limit


def end_of_day(day: datetime.date) -> datetime.datetime:
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start)


def sanctions_in_force(
    *, targets: Iterable[int], agency_id: int | None = None, as_of: datetime.date | None = None
) -> QuerySet[Sanction]:
    """Sanctions in force on the targets, now or at the end of a past day (from the recorded
    event history, so re-impositions and lifts are both honoured)."""
    qs = Sanction.objects.filter(target_id__in=list(targets))
    if agency_id is not None:
        qs = qs.filter(implementing_agency_id=agency_id)
    if as_of is None:
        return qs.in_force().with_provenance()
    last_kind = (
        SanctionEvent.objects.filter(sanction=OuterRef("pk"), at__lt=end_of_day(as_of))
        .order_by("-at", "-id")
        .values("kind")[:1]
    )
    return qs.annotate(kind_then=Subquery(last_kind)).filter(kind_then="imposed").with_provenance()


def subject_ids_by_identifier(identifiers: list[str]) -> dict[str, int]:
    return dict(Subject.objects.filter(identifier__in=identifiers).values_list("identifier", "id"))
