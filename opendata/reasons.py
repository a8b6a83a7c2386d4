"""Why a record left the open data (the `reason` of a DEL operation in a delta).

A mirror that applies deltas must remove repaired, withdrawn, revoked and expired records;
the reason tells its readers why. Resolved in batches of ids, never one query per row.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from blacklists.models import EndReason, EntryState, ListEntry, Objection
from registry.models import CreditRecord, SubjectKind
from sanctions.models import Memorandum

REPAIRED = "repaired"
REVOKED = "revoked"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"
# Not a removal of the record from the world, but from publicity for now.
OBJECTION_PENDING = "objection_pending"
NO_LONGER_LISTED = "no_longer_listed"

_END_REASONS = {
    EndReason.EXPIRED: EXPIRED,
    EndReason.REPAIRED: REPAIRED,
    EndReason.REVOKED: REVOKED,
    EndReason.OBJECTION_UPHELD: REVOKED,
}


def list_entries(ids: list[int], today: datetime.date) -> dict[int, str]:
    pending = Objection.objects.filter(entry=OuterRef("pk"), status="pending")
    rows = ListEntry.objects.filter(pk__in=ids).annotate(objection=Exists(pending))
    out = {}
    for pk, state, end_reason, publicity_ends, objection in rows.values_list(
        "pk", "state", "end_reason", "publicity_ends_on", "objection"
    ):
        if state == EntryState.ENDED:
            out[pk] = _END_REASONS.get(end_reason, WITHDRAWN)
        elif publicity_ends and publicity_ends <= today:
            out[pk] = EXPIRED
        elif objection and state == EntryState.PUBLISHED:
            out[pk] = OBJECTION_PENDING
        else:
            out[pk] = WITHDRAWN  # list made non-public, or the entry was returned
    return out


def subjects(ids: list[int], today: datetime.date) -> dict[int, str]:
    # A subject leaves the data when its last entry in publicity ends: say how that entry ended.
    out: dict[int, str] = {}
    last = (
        ListEntry.objects.filter(subject_id__in=ids)
        .order_by("subject_id", "-ended_at", "-pk")
        .distinct("subject_id")
        .values_list("subject_id", "pk")
    )
    by_entry = dict(last)
    reasons = list_entries(list(by_entry.values()), today)
    for subject_id in ids:
        entry = by_entry.get(subject_id)
        out[subject_id] = reasons.get(entry, NO_LONGER_LISTED) if entry else NO_LONGER_LISTED
    return out


def double_publicity(ids: list[int], today: datetime.date) -> dict[int, str]:
    found = dict(CreditRecord.objects.filter(pk__in=ids).values_list("pk", "publicity_ends_on"))
    kinds = dict(CreditRecord.objects.filter(pk__in=ids).values_list("pk", "subject__kind"))
    out = {}
    for pk in ids:
        if pk not in found:
            out[pk] = WITHDRAWN  # deleted by its supplier
        elif found[pk] and found[pk] <= today:
            out[pk] = EXPIRED
        elif kinds.get(pk) == SubjectKind.NATURAL_PERSON:
            out[pk] = NO_LONGER_LISTED
        else:
            out[pk] = WITHDRAWN
    return out


def lists(ids: list[int], today: datetime.date) -> dict[int, str]:
    return dict.fromkeys(ids, WITHDRAWN)


def memoranda(ids: list[int], today: datetime.date) -> dict[int, str]:
    ended = set(
        Memorandum.objects.filter(pk__in=ids)
        .filter(Q(effective_until__lte=today))
        .values_list("pk", flat=True)
    )
    return {pk: EXPIRED if pk in ended else WITHDRAWN for pk in ids}


def measures(ids: list[int], today: datetime.date) -> dict[int, str]:
    return dict.fromkeys(ids, WITHDRAWN)


def statistics(ids: list[int], today: datetime.date) -> dict[int, str]:
    return dict.fromkeys(ids, WITHDRAWN)


RESOLVERS = {
    "subjects": subjects,
    "list_entries": list_entries,
    "double_publicity": double_publicity,
    "lists": lists,
    "memoranda": memoranda,
    "measures": measures,
    "statistics": statistics,
}
