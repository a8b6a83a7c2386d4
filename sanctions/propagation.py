"""Set-based computation and application of sanctions.

Expected sanctions = entries (published, on a list that may trigger joint measures) ×
memoranda in effect that the list triggers × their active measures that apply to the listed
subject × the measure's targets (the subject itself, or current holders of the named roles).

A measure applies (issue 9 §1; seed 000: joint measures "only against the responsible
subject") when the listed subject's kind is one it reaches (`Measure.applies_to`) and, if it
has co-listing conditions (`MeasureCoListing`), the listed subject is also published on one of
those lists. Both conditions live only in `expected_sql`, so imposing, lifting, the dry run,
reconciliation and drift agree. Everything that writes
sanctions goes through `impose` and `lift`, which write the feed events in the same
statement, under one advisory lock so that feed ids commit in order.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction

from sanctions.models import TARGET_ROLES

# Transaction-level advisory lock that serialises writers of sanctions and their events.
FEED_LOCK_KEY = 7_311_202_611


def lock_feed() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK_KEY])


_ROLE_VALUES = ", ".join(
    f"('{target}', '{role}')" for target, roles in TARGET_ROLES.items() for role in roles
)


@dataclass(frozen=True)
class Scope:
    """Which expected sanctions to compute. Empty scope: all of them."""

    entry_ids: tuple[int, ...] = ()
    memorandum_id: int | None = None
    # Event-driven imposition applies an entry's start even if it has ended since
    # (the history must show the interval); sweeps consider only entries in force.
    require_in_force: bool = True
    # mou_impact: treat this memorandum as in effect regardless of its dates.
    assume_in_effect: bool = False
    # entry_impact: treat the scoped entries as published on the day (a dry run before
    # publication, so the confirmation shows what publishing will start).
    assume_published: bool = False


# A measure's applicability to the listed subject `ls` of entry `e` (aliases of expected_sql
# and _ACTUAL_SCOPE). Twin of Measure.applies_to_kind plus the co-listing rule.
_KIND_APPLIES = """
    (m.applies_to = 'any'
     OR (m.applies_to = 'natural_persons' AND ls.kind = 'natural_person')
     OR (m.applies_to = 'units' AND ls.kind <> 'natural_person'))
"""
_CO_LISTED = """
    (NOT EXISTS (SELECT 1 FROM sanctions_measurecolisting c WHERE c.measure_id = m.id)
     OR EXISTS (SELECT 1 FROM sanctions_measurecolisting c
                JOIN blacklists_listentry e2
                  ON e2.list_id = c.list_id AND e2.subject_id = e.subject_id
                 AND e2.state = 'published' AND e2.id <> e.id
                WHERE c.measure_id = m.id))
"""
_APPLIES = f"({_KIND_APPLIES} AND {_CO_LISTED})"


def expected_sql(scope: Scope, on: datetime.date) -> tuple[str, dict]:
    params: dict = {"on": on}
    where = ["l.may_trigger_joint_measures", "m.withdrawn_at IS NULL"]
    if scope.assume_published:
        pass
    elif scope.require_in_force:
        where.append("e.state = 'published'")
    else:
        where.append("e.starts_on IS NOT NULL")
    if scope.entry_ids:
        where.append("e.id = ANY(%(entry_ids)s::bigint[])")
        params["entry_ids"] = list(scope.entry_ids)
    if scope.memorandum_id is not None:
        where.append("mo.id = %(memorandum_id)s")
        params["memorandum_id"] = scope.memorandum_id
    if not scope.assume_in_effect:
        where.append(
            "mo.effective_from <= %(on)s"
            " AND (mo.effective_until IS NULL OR mo.effective_until > %(on)s)"
        )
    sql = f"""
        SELECT DISTINCT e.id AS entry_id, m.id AS measure_id,
               CASE WHEN m.targets = 'subject' THEN e.subject_id ELSE r.holder_id END AS target_id,
               m.implementing_agency_id AS agency_id
        FROM blacklists_listentry e
        JOIN blacklists_listdefinition l ON l.id = e.list_id
        JOIN sanctions_memorandum_triggering_lists t ON t.listdefinition_id = e.list_id
        JOIN sanctions_memorandum mo ON mo.id = t.memorandum_id
        JOIN sanctions_measure m ON m.memorandum_id = mo.id
        JOIN registry_subject ls ON ls.id = e.subject_id
        LEFT JOIN (VALUES {_ROLE_VALUES}) AS tr(target, role) ON tr.target = m.targets
        LEFT JOIN registry_subjectrole r
               ON tr.role IS NOT NULL
              AND r.organisation_id = e.subject_id AND r.role = tr.role
              AND (r.started_on IS NULL OR r.started_on <= %(on)s)
              AND (r.ended_on IS NULL OR r.ended_on > %(on)s)
        WHERE {" AND ".join(where)}
          AND (m.targets = 'subject' OR r.holder_id IS NOT NULL)
          AND {_APPLIES}
          AND (m.duration <> 'fixed'
               OR COALESCE(e.starts_on, %(on)s) + make_interval(months => m.fixed_months)
                  > %(on)s)
    """  # noqa: S608 - only fixed fragments are interpolated; values are parameters
    return sql, params


def _impose_sql(
    scope: Scope,
    *,
    on: datetime.date,
    at: datetime.datetime,
    reason: str,
    at_by_entry: dict[int, datetime.datetime] | None = None,
) -> tuple[str, dict]:
    """The one statement of `impose` and its parameters."""
    expected, params = expected_sql(scope, on)
    batch_join, batch_at = "", "%(at)s"
    if at_by_entry is not None:
        # One row per entry of the batch: its own effective time, joined to the one
        # definition of the expected set (never a second copy of it).
        batch_join = (
            "JOIN unnest(%(batch_ids)s::bigint[], %(batch_ats)s::timestamptz[])"
            " AS b(entry_id, at) USING (entry_id)"
        )
        batch_at = "b.at"
        params["batch_ids"] = list(at_by_entry)
        params["batch_ats"] = list(at_by_entry.values())
    sql = f"""
        WITH expected AS ({expected}),
        written AS (
            INSERT INTO sanctions_sanction
                (entry_id, measure_id, target_id, implementing_agency_id, status,
                 imposed_at, lifted_at, lift_reason)
            SELECT entry_id, measure_id, target_id, agency_id, 'in_force', {batch_at},
                   NULL, ''
            FROM expected {batch_join}
            ORDER BY entry_id, measure_id, target_id
            ON CONFLICT (entry_id, measure_id, target_id) DO UPDATE
                SET status = 'in_force', imposed_at = EXCLUDED.imposed_at,
                    lifted_at = NULL, lift_reason = ''
                WHERE sanctions_sanction.status = 'lifted'
            RETURNING id, implementing_agency_id, imposed_at
        )
        INSERT INTO sanctions_sanctionevent
            (sanction_id, implementing_agency_id, kind, at, reason, recorded_at)
        SELECT id, implementing_agency_id, 'imposed', imposed_at, %(reason)s, now()
        FROM written ORDER BY id
    """  # noqa: S608 - only fixed fragments are interpolated; values are parameters
    return sql, {**params, "at": at, "reason": reason}


def impose(
    scope: Scope,
    *,
    on: datetime.date,
    at: datetime.datetime,
    reason: str,
    at_by_entry: dict[int, datetime.datetime] | None = None,
) -> int:
    """Insert the expected sanctions that are not in force (re-imposing lifted ones) and
    their 'imposed' feed events, in one statement. `at_by_entry` gives each entry of the scope
    its own effective time (a batch of outbox events, each imposed at its event's time);
    entries it does not name take `at`. Returns how many were imposed."""
    lock_feed()
    sql, params = _impose_sql(scope, on=on, at=at, reason=reason, at_by_entry=at_by_entry or None)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


_LIFT_ENTRIES_SQL = """
    WITH ended AS (
        SELECT * FROM unnest(%(ids)s::bigint[], %(ats)s::timestamptz[],
                             %(reasons)s::varchar[]) AS b(entry_id, at, reason)
    ),
    lifted AS (
        UPDATE sanctions_sanction s
           SET status = 'lifted', lifted_at = ended.at, lift_reason = ended.reason
          FROM ended
         WHERE s.entry_id = ended.entry_id AND s.status = 'in_force'
        RETURNING s.id, s.implementing_agency_id, ended.at, ended.reason
    )
    INSERT INTO sanctions_sanctionevent
        (sanction_id, implementing_agency_id, kind, at, reason, recorded_at)
    SELECT id, implementing_agency_id, 'lifted', at, reason, now()
    FROM lifted ORDER BY id
"""


def warm_up() -> None:
    """Plan (EXPLAIN, nothing runs) the statements that impose and lift for a batch of
    outbox events, so that a new database session loads the catalogue entries of the tables,
    feed partitions and indexes they touch now rather than in the first batch, which is often
    a clerk's single entry (issue 14: its first sample waited ≈0.5 s more)."""
    now = datetime.datetime.now(tz=datetime.UTC)
    scope = Scope(entry_ids=(0,), require_in_force=False)
    sql, params = _impose_sql(
        scope, on=now.date(), at=now, reason="entry_published", at_by_entry={0: now}
    )
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        cur.execute("EXPLAIN " + _LIFT_ENTRIES_SQL, {"ids": [0], "ats": [now], "reasons": ["x"]})


def lift_entry(entry_id: int, *, at: datetime.datetime, reason: str) -> int:
    """Lift every sanction in force of an ended entry."""
    return lift_entries({entry_id: (at, reason)})


def lift_entries(ended: dict[int, tuple[datetime.datetime, str]]) -> int:
    """Lift every sanction in force of the ended entries, each at its own time and with its
    own reason ({entry id: (at, reason)}), in one statement."""
    if not ended:
        return 0
    lock_feed()
    with connection.cursor() as cur:
        cur.execute(
            _LIFT_ENTRIES_SQL,
            {
                "ids": list(ended),
                "ats": [at for at, _ in ended.values()],
                "reasons": [reason for _, reason in ended.values()],
            },
        )
        return cur.rowcount


_ACTUAL_SCOPE = """
    FROM sanctions_sanction s
    JOIN sanctions_measure m ON m.id = s.measure_id
    JOIN sanctions_memorandum mo ON mo.id = m.memorandum_id
    JOIN blacklists_listentry e ON e.id = s.entry_id
    JOIN registry_subject ls ON ls.id = e.subject_id
    WHERE s.status = 'in_force' {extra}
"""

_LIFT_REASON = f"""
    CASE WHEN m.withdrawn_at IS NOT NULL THEN 'measure_withdrawn'
         WHEN NOT (mo.effective_from <= %(on)s
                   AND (mo.effective_until IS NULL OR mo.effective_until > %(on)s))
              THEN 'memorandum_ended'
         WHEN e.state <> 'published' THEN COALESCE(NULLIF(e.end_reason, ''), 'reconciled')
         WHEN m.duration = 'fixed'
              AND e.starts_on + make_interval(months => m.fixed_months) <= %(on)s
              THEN 'fixed_period_elapsed'
         WHEN NOT {_KIND_APPLIES} THEN 'not_applicable'
         WHEN NOT {_CO_LISTED}
              THEN CASE WHEN EXISTS (
                       SELECT 1 FROM sanctions_measurecolisting c
                       JOIN blacklists_listentry e3
                         ON e3.list_id = c.list_id AND e3.subject_id = e.subject_id
                        AND e3.state = 'ended' AND e3.starts_on IS NOT NULL
                       WHERE c.measure_id = m.id)
                   THEN 'condition_ended' ELSE 'not_applicable' END
         WHEN m.targets <> 'subject' THEN 'role_ended'
         ELSE 'reconciled' END
"""  # noqa: S608 - fixed fragments only


def _actual_filter(scope: Scope) -> tuple[str, dict]:
    extra, params = "", {}
    if scope.entry_ids:
        extra += " AND s.entry_id = ANY(%(entry_ids)s::bigint[])"
        params["entry_ids"] = list(scope.entry_ids)
    if scope.memorandum_id is not None:
        extra += " AND mo.id = %(memorandum_id)s"
        params["memorandum_id"] = scope.memorandum_id
    return _ACTUAL_SCOPE.format(extra=extra), params


def lift_unexpected(scope: Scope, *, on: datetime.date, at: datetime.datetime) -> int:
    """Lift sanctions in force that are no longer expected, each with the reason why."""
    lock_feed()
    expected, params = expected_sql(scope, on)
    actual, actual_params = _actual_filter(scope)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH expected AS ({expected}),
            gone AS (
                SELECT s.id, {_LIFT_REASON} AS reason
                {actual}
                  AND NOT EXISTS (
                      SELECT 1 FROM expected x
                       WHERE x.entry_id = s.entry_id AND x.measure_id = s.measure_id
                         AND x.target_id = s.target_id)
            ),
            lifted AS (
                UPDATE sanctions_sanction s
                   SET status = 'lifted', lifted_at = %(at)s, lift_reason = gone.reason
                  FROM gone WHERE s.id = gone.id
                RETURNING s.id, s.implementing_agency_id, gone.reason
            )
            INSERT INTO sanctions_sanctionevent
                (sanction_id, implementing_agency_id, kind, at, reason, recorded_at)
            SELECT id, implementing_agency_id, 'lifted', %(at)s, reason, now()
            FROM lifted ORDER BY id
            """,  # noqa: S608
            {**params, **actual_params, "at": at},
        )
        return cur.rowcount


@dataclass
class Drift:
    missing: int
    extra: int
    missing_sample: list[tuple[int, int, int]]
    extra_sample: list[tuple[int, int, int, str]]

    @property
    def total(self) -> int:
        return self.missing + self.extra


def drift(scope: Scope, *, on: datetime.date, sample: int = 10) -> Drift:
    """Compare expected with actual without changing anything."""
    expected, params = expected_sql(scope, on)
    actual, actual_params = _actual_filter(scope)
    all_params = {**params, **actual_params}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            CREATE TEMP TABLE IF NOT EXISTS _expected_sanctions
                (entry_id bigint, measure_id bigint, target_id bigint, agency_id bigint)
                ON COMMIT DROP;
            TRUNCATE _expected_sanctions;
            INSERT INTO _expected_sanctions {expected};
            """,  # noqa: S608
            all_params,
        )
        cur.execute(
            """
            SELECT x.entry_id, x.measure_id, x.target_id FROM _expected_sanctions x
            WHERE NOT EXISTS (
                SELECT 1 FROM sanctions_sanction s
                 WHERE s.entry_id = x.entry_id AND s.measure_id = x.measure_id
                   AND s.target_id = x.target_id AND s.status = 'in_force')
            """
        )
        missing_rows = cur.fetchall()
        cur.execute(
            f"""
            SELECT s.entry_id, s.measure_id, s.target_id, {_LIFT_REASON}
            {actual}
              AND NOT EXISTS (
                  SELECT 1 FROM _expected_sanctions x
                   WHERE x.entry_id = s.entry_id AND x.measure_id = s.measure_id
                     AND x.target_id = s.target_id)
            """,  # noqa: S608
            all_params,
        )
        extra_rows = cur.fetchall()
        cur.execute("DROP TABLE IF EXISTS _expected_sanctions")
    return Drift(
        missing=len(missing_rows),
        extra=len(extra_rows),
        missing_sample=missing_rows[:sample],
        extra_sample=extra_rows[:sample],
    )


def impact(memorandum_id: int, *, on: datetime.date, assume_in_effect: bool) -> dict:
    """What syncing one memorandum on a date would create and lift (a dry run)."""
    scope = Scope(memorandum_id=memorandum_id, assume_in_effect=assume_in_effect)
    expected, params = expected_sql(scope, on)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH expected AS ({expected})
            SELECT count(*), count(DISTINCT target_id) FROM expected x
            WHERE NOT EXISTS (
                SELECT 1 FROM sanctions_sanction s
                 WHERE s.entry_id = x.entry_id AND s.measure_id = x.measure_id
                   AND s.target_id = x.target_id AND s.status = 'in_force')
            """,  # noqa: S608
            params,
        )
        create, create_subjects = cur.fetchone()
        actual, actual_params = _actual_filter(scope)
        cur.execute(
            f"""
            WITH expected AS ({expected})
            SELECT count(*), count(DISTINCT s.target_id)
            {actual}
              AND NOT EXISTS (
                  SELECT 1 FROM expected x
                   WHERE x.entry_id = s.entry_id AND x.measure_id = s.measure_id
                     AND x.target_id = s.target_id)
            """,  # noqa: S608
            {**params, **actual_params},
        )
        lift, lift_subjects = cur.fetchone()
    return {
        "create": create,
        "create_subjects": create_subjects,
        "lift": lift,
        "lift_subjects": lift_subjects,
    }


def entry_impact(entry_id: int, *, on: datetime.date) -> dict:
    """What publishing one entry on a date would impose, from the same expected set as
    imposition itself (so the confirmation cannot disagree with what happens).

    Returns {"measures": n distinct measures, "agencies": n implementing agencies,
    "sanctions": n (measure, target) pairs, "items": [(measure text, agency short name,
    mandatory)] ordered by agency then measure code}.
    """
    scope = Scope(entry_ids=(entry_id,), require_in_force=False, assume_published=True)
    expected, params = expected_sql(scope, on)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH expected AS ({expected})
            SELECT m.text, a.short_name, m.mandatory, a.id, count(*)
            FROM expected x
            JOIN sanctions_measure m ON m.id = x.measure_id
            JOIN registry_agency a ON a.id = x.agency_id
            GROUP BY m.id, m.text, m.code, a.id, a.short_name, m.mandatory
            ORDER BY a.short_name, m.code
            """,  # noqa: S608
            params,
        )
        rows = cur.fetchall()
    return {
        "measures": len(rows),
        "agencies": len({agency_id for *_rest, agency_id, _n in rows}),
        "sanctions": sum(n for *_rest, n in rows),
        "items": [(text, agency, mandatory) for text, agency, mandatory, *_rest in rows],
    }
