"""Reads of sanctions for implementing agencies, the portal and the admin."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from sanctions.models import Sanction, SanctionEvent
from scs.partitioning import FEED_IDS_PER_PARTITION

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


_FEED_SQL = """
    WITH page AS MATERIALIZED (
        -- The page from the (implementing agency, id) index alone, before any join: 0.5-1 ms
        -- for 1 000 rows. The cursor is a row comparison that only that index can serve, so
        -- the plan cannot drift to walking the primary key. It did with `id > cursor` when
        -- the newest ids were above the column's statistics (right after a bulk load): 77 ms
        -- a page instead of 5 at 1 000 000 subjects. `id >= range_start` (the start of the
        -- cursor's partition) keeps the partitions below it pruned and selects nothing else.
        SELECT id, sanction_id, credit_record_id, kind, at, reason
          FROM sanctions_sanctionevent
         WHERE implementing_agency_id = %(agency)s AND id >= %(range_start)s
           AND (implementing_agency_id, id) > (%(agency)s, %(after)s)
         ORDER BY id
         LIMIT %(limit)s
    ),
    -- The big tables are read by primary key for the page's rows only (`= ANY(ARRAY(…))` is
    -- an index scan whatever the tables' sizes). Joined directly, the planner hash-joined the
    -- whole sanctions, credit-record and subject tables once they held a few hundred thousand
    -- rows: ≈110 ms a page of 1 000 at 1 000 000 subjects, the feed's whole cost.
    s AS MATERIALIZED (
        SELECT id, target_id, measure_id, entry_id FROM sanctions_sanction
         WHERE id = ANY(ARRAY(SELECT sanction_id FROM page WHERE sanction_id IS NOT NULL))
    ),
    r AS MATERIALIZED (
        SELECT id, subject_id, catalogue_item_id, agency_id, decision_number
          FROM registry_creditrecord
         WHERE id = ANY(ARRAY(
             SELECT credit_record_id FROM page WHERE credit_record_id IS NOT NULL))
    ),
    e AS MATERIALIZED (
        SELECT id, list_id FROM blacklists_listentry
         WHERE id = ANY(ARRAY(SELECT entry_id FROM s))
    ),
    ra AS MATERIALIZED (
        SELECT id, subject_id FROM registry_agency
         WHERE id = ANY(ARRAY(SELECT agency_id FROM r))
    ),
    t AS MATERIALIZED (
        SELECT id, identifier, kind, name FROM registry_subject
         WHERE id = ANY(ARRAY(
             SELECT target_id FROM s UNION ALL SELECT subject_id FROM r
             UNION ALL SELECT subject_id FROM ra))
    )
    -- A sanction's event joins its sanction, measure and entry; a credit record's event
    -- (record_corrected / record_withdrawn / record_repaired) joins the record and its item.
    SELECT p.id, p.kind, p.at, p.reason, p.sanction_id, t.identifier, t.kind, t.name, m.code,
           m.text, mo.document_number, s.entry_id, l.key,
           p.credit_record_id, ci.code, r.decision_number, da.identifier
      FROM page p
      LEFT JOIN s ON s.id = p.sanction_id
      LEFT JOIN sanctions_measure m ON m.id = s.measure_id
      LEFT JOIN sanctions_memorandum mo ON mo.id = m.memorandum_id
      LEFT JOIN e ON e.id = s.entry_id
      LEFT JOIN blacklists_listdefinition l ON l.id = e.list_id
      LEFT JOIN r ON r.id = p.credit_record_id
      LEFT JOIN registry_catalogueitem ci ON ci.id = r.catalogue_item_id
      LEFT JOIN ra ON ra.id = r.agency_id
      LEFT JOIN t da ON da.id = ra.subject_id
      JOIN t ON t.id = COALESCE(s.target_id, r.subject_id)
     ORDER BY p.id
"""

FEED_COLUMNS = (
    "event_id",
    "kind",
    "at",
    "reason",
    "sanction_id",
    "target",
    "target_kind",
    "target_name",
    "measure",
    "measure_text",
    "memorandum",
    "list_entry",
    "list",
    "credit_record",
    "catalogue_item",
    "decision_number",
    "deciding_agency",
)


def feed_parameters(*, agency_id: int, after: int, limit: int) -> dict[str, int]:
    """The feed query's parameters; `range_start` is the first id of the partition holding
    the cursor (`scs.partitioning.FEED_IDS_PER_PARTITION` ids each)."""
    range_start = (after // FEED_IDS_PER_PARTITION) * FEED_IDS_PER_PARTITION
    return {"agency": agency_id, "after": after, "limit": limit, "range_start": range_start}


def feed_page(*, agency_id: int, after: int, limit: int) -> tuple[list[dict], bool]:
    """Events of measures the agency implements, in id order (ids commit in order), as plain
    dicts with FEED_COLUMNS (a feed page is read by machines; no model objects needed), and
    whether more follow. One round trip: the page's ids from the (agency, id) index in a
    materialised CTE, then the joined columns for those rows only."""
    with connection.cursor() as cur:
        cur.execute(_FEED_SQL, feed_parameters(agency_id=agency_id, after=after, limit=limit + 1))
        rows = [dict(zip(FEED_COLUMNS, row, strict=True)) for row in cur.fetchall()]
    return rows[:limit], len(rows) > limit


_SCREENING_SQL = """
    SELECT t.identifier, t.id, s.id, s.entry_id, s.imposed_at, m.code, m.text, m.mandatory,
           mo.document_number
      FROM registry_subject t
      LEFT JOIN sanctions_sanction s
             ON s.target_id = t.id AND s.status = 'in_force'
            AND s.implementing_agency_id = %(agency)s
      LEFT JOIN sanctions_measure m ON m.id = s.measure_id
      LEFT JOIN sanctions_memorandum mo ON mo.id = m.memorandum_id
     WHERE t.identifier = ANY(%(codes)s::varchar[])
     ORDER BY s.id
"""


def screening_matches(*, agency_id: int, identifiers: list[str]) -> dict[str, tuple[int, list]]:
    """{identifier: (subject id, [measure in force, …])} for the known identifiers, the
    measures being those the agency implements, in force now. One query: the identifier index
    (the array cast to the column's type, so the index is used) joined to the partial
    (target, agency) index of sanctions in force."""
    found: dict[str, tuple[int, list]] = {}
    with connection.cursor() as cur:
        cur.execute(_SCREENING_SQL, {"agency": agency_id, "codes": identifiers})
        for code, subject_id, sanction_id, entry_id, imposed_at, *measure in cur.fetchall():
            measures = found.setdefault(code, (subject_id, []))[1]
            if sanction_id is not None:
                measures.append(
                    {
                        "sanction_id": sanction_id,
                        "measure": measure[0],
                        "measure_text": measure[1],
                        "mandatory": measure[2],
                        "memorandum": measure[3],
                        "list_entry": entry_id,
                        "imposed_at": imposed_at,
                    }
                )
    return found


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
