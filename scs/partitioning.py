"""Partitioned append-only tables: conversion (in migrations), creation ahead, retention.

PostgreSQL declarative partitioning (RANGE), managed by pg_partman 4.x (extension in the
`partman` schema, Debian `postgresql-15-partman`, installed by `scripts/ensure_services.sh`).
What is partitioned and why (docs/SCALING.md, "Partitioned tables"):

- `sharing_consultation` (the access log), by month of `at`; kept at least 5 years
  (issue 12: records of queries kept 5 years).
- the registry's audit trail (pghistory event tables `registry_*event`), by month of
  `pgh_created_at`.
- `sanctions_sanctionevent` (the agencies' feed), by ranges of `id`: the feed is read by id
  (`id > cursor`), ids commit in order under the feed's advisory lock, so id ranges prune the
  feed query and keep `id` a real primary key; its `recorded_at` is not monotonic in `id`
  (set before the lock), so month ranges could not prune it.
- The lists' outbox is not partitioned: its `(entry, kind)` uniqueness would have to contain
  the partition key (docs/SCALING.md).

The database primary key of a month-partitioned table is `(id, <month column>)` (PostgreSQL
requires the partition key in it); Django still sees `id` as the primary key, which stays
unique because one identity sequence feeds every partition. `models.CompositePrimaryKey` is
not used: Django 5.2's admin, foreign keys and `.get(pk=<int>)` do not accept it, and the
model API must not change under the rest of the code.

Every partitioned table has a DEFAULT partition, so no insert can fail for want of a
partition; `maintain()` moves any rows found there into proper partitions.
"""

# SQL here names tables and columns from `TABLES` only, checked by `_q`; values are parameters.
# ruff: noqa: S608
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import timezone

PARTMAN_SCHEMA = "partman"


@dataclass(frozen=True)
class PartitionedTable:
    """One partition set. `control` is the partition key column; `interval` is pg_partman's:
    `"1 month"` for time sets, a number of ids for id sets. `retention` names the key of
    `settings.PARTITION_RETENTION` that holds its retention (None: kept for ever)."""

    table: str
    control: str
    interval: str
    premake: int
    retention: str | None

    @property
    def by_id(self) -> bool:
        return self.interval.isdigit()

    @property
    def parent(self) -> str:
        return f"public.{self.table}"


# Ids per feed partition: ≈ a month of the national rate (385 000 events a day,
# docs/SCALING.md), ≈1 GB of heap and indexes per partition.
FEED_IDS_PER_PARTITION = 10_000_000

REGISTRY_AUDIT_TABLES = (
    "registry_subjectevent",
    "registry_formernameevent",
    "registry_formeridentifierevent",
    "registry_subjectroleevent",
    "registry_creditrecordevent",
    "registry_recordrepairevent",
)

TABLES: tuple[PartitionedTable, ...] = (
    PartitionedTable("sharing_consultation", "at", "1 month", 4, "access_log"),
    PartitionedTable(
        "sanctions_sanctionevent", "id", str(FEED_IDS_PER_PARTITION), 4, "feed_events"
    ),
    *(
        PartitionedTable(t, "pgh_created_at", "1 month", 4, "audit_events")
        for t in REGISTRY_AUDIT_TABLES
    ),
)
TABLES_BY_NAME = {t.table: t for t in TABLES}

# Lower bounds of the retention settings: what the rules require (docs/SCALING.md).
RETENTION_MINIMUM = {
    # Issue 12 / 征信业管理条例 第十八条: records of queries kept at least 5 years.
    "access_log": datetime.timedelta(days=5 * 365 + 2),
    # The longest publicity found in the sources (Jiangsu, legal persons: 7 years, 000): the
    # change history of a record must outlive its publicity.
    "audit_events": datetime.timedelta(days=7 * 365 + 2),
}


class PartitioningError(Exception):
    pass


def _q(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise PartitioningError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def retention_interval(key: str | None) -> datetime.timedelta | None:
    """The configured retention of a set, checked against its legal minimum.

    `settings.PARTITION_RETENTION[key]` is a number of days (int) or None (kept for ever).
    Raises `PartitioningError` for a value below `RETENTION_MINIMUM[key]`.
    """
    if key is None:
        return None
    days = settings.PARTITION_RETENTION.get(key)
    if days is None:
        return None
    kept = datetime.timedelta(days=int(days))
    minimum = RETENTION_MINIMUM.get(key)
    if minimum is not None and kept < minimum:
        raise PartitioningError(
            f"retention of {key} is {kept.days} days, below the required {minimum.days}"
        )
    return kept


# --- Conversion of an existing table (migrations) -------------------------------------------


def convert_table(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """Turn the plain table `table` (one of `TABLES`) into a partitioned one, rows included.

    In one transaction (the migration's): the table is renamed aside, a partitioned table
    LIKE it takes its name (columns, defaults, identity), pg_partman creates the partitions
    (from the oldest row's month or id range, `premake` ahead, and a default), the rows are
    copied, anything left in the default is moved into new partitions, the old table is
    dropped, and then its identity sequence position, primary key (plus the partition key),
    indexes, check and foreign-key constraints and triggers are re-created under their
    original names. Raises `PartitioningError` if another table has a foreign key to this
    one, or it has a unique constraint other than the primary key (neither can hold on a
    partitioned table without the partition key). Takes an ACCESS EXCLUSIVE lock for the
    duration: ≈1 min per million rows on this machine.
    """
    spec = TABLES_BY_NAME[table]
    old = f"{table}__plain"
    with schema_editor.connection.cursor() as cur:

        def one(sql: str, params: list | None = None):
            cur.execute(sql, params or [])
            return cur.fetchone()

        def rows(sql: str, params: list | None = None):
            cur.execute(sql, params or [])
            return cur.fetchall()

        (kind,) = one("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        if kind == "p":
            return  # already partitioned
        inbound = rows(
            "SELECT conname, conrelid::regclass::text FROM pg_constraint"
            " WHERE confrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        if inbound:
            raise PartitioningError(f"{table} is referenced by foreign keys: {inbound}")
        pk_name, pk_cols = one(
            "SELECT c.conname, array_agg(a.attname ORDER BY k.n)"
            " FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(attnum, n), pg_attribute a"
            " WHERE c.conrelid = %s::regclass AND c.contype = 'p'"
            " AND a.attrelid = c.conrelid AND a.attnum = k.attnum GROUP BY c.conname",
            [table],
        )
        constraints = rows(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype <> 'p' ORDER BY conname",
            [table],
        )
        if any(contype in ("u", "x") for _, contype, _ in constraints):
            raise PartitioningError(f"{table} has unique or exclusion constraints")
        indexes = rows(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        if any(" UNIQUE " in f" {d} " for (d,) in indexes):
            raise PartitioningError(f"{table} has unique indexes")
        # pgtrigger keeps its hash in the trigger's comment: kept too.
        triggers = rows(
            "SELECT tgname, pg_get_triggerdef(oid), obj_description(oid, 'pg_trigger')"
            " FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        identity = one(
            "SELECT a.attname, pg_get_serial_sequence(%s, a.attname) FROM pg_attribute a"
            " WHERE a.attrelid = %s::regclass AND a.attidentity <> ''",
            [table, table],
        )

        cur.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
        cur.execute("SET LOCAL TimeZone = 'UTC'")  # UTC months, as maintain() makes them
        cur.execute(
            f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY"
            f" INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({_q(spec.control)})"
        )
        (start,) = one(f"SELECT min({_q(spec.control)}) FROM {_q(old)}")
        if start is not None and spec.by_id:
            start = str(int(start) // int(spec.interval) * int(spec.interval))
        elif start is not None:
            start = start.astimezone(datetime.UTC).strftime("%Y-%m-01 00:00:00+00")
        cur.execute(
            f"SELECT {PARTMAN_SCHEMA}.create_parent(%s, %s, 'native', %s, p_premake := %s,"
            " p_start_partition := %s, p_jobmon := false)",
            [spec.parent, spec.control, spec.interval, spec.premake, start],
        )
        cur.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")
        _drain_default(cur, spec)

        if identity is not None:
            column, old_sequence = identity
            last_value, is_called = one(f"SELECT last_value, is_called FROM {old_sequence}")
            (new_sequence,) = one("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        cur.execute(f"DROP TABLE {_q(old)}")
        if identity is not None:
            # Keep the sequence's name and position: ids continue where they were.
            cur.execute(
                f"ALTER SEQUENCE {new_sequence} RENAME TO {_q(old_sequence.split('.')[-1])}"
            )
            cur.execute("SELECT setval(%s, %s, %s)", [old_sequence, last_value, is_called])

        key = list(pk_cols) + ([spec.control] if spec.control not in pk_cols else [])
        cur.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(pk_name)}"
            f" PRIMARY KEY ({', '.join(_q(c) for c in key)})"
        )
        table_ref = re.compile(rf" ON (ONLY )?(public\.)?{re.escape(old)} ")
        for (definition,) in indexes:
            cur.execute(table_ref.sub(f" ON public.{_q(table)} ", definition, count=1))
        for name, _contype, definition in constraints:
            cur.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for name, definition, comment in triggers:
            cur.execute(table_ref.sub(f" ON public.{_q(table)} ", definition, count=1))
            if comment is not None:
                cur.execute(f"COMMENT ON TRIGGER {_q(name)} ON {_q(table)} IS %s", [comment])
        cur.execute(f"ANALYZE {_q(table)}")


def revert_table(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """Undo `convert_table`: pg_partman's `undo_partition` moves every row back into a plain
    table that takes the name again (constraints, indexes and triggers re-created as in
    `convert_table`, primary key without the partition key)."""
    spec = TABLES_BY_NAME[table]
    plain = f"{table}__plain"
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        if cur.fetchone()[0] != "p":
            return
        cur.execute(
            "SELECT c.conname, array_agg(a.attname ORDER BY k.n)"
            " FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(attnum, n), pg_attribute a"
            " WHERE c.conrelid = %s::regclass AND c.contype = 'p'"
            " AND a.attrelid = c.conrelid AND a.attnum = k.attnum GROUP BY c.conname",
            [table],
        )
        pk_name, pk_cols = cur.fetchone()
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE"
            " conrelid = %s::regclass AND contype IN ('c', 'f') AND conparentid = 0",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass"
            " AND NOT i.indisprimary",
            [table],
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT tgname, pg_get_triggerdef(oid), obj_description(oid, 'pg_trigger')"
            " FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        triggers = cur.fetchall()
        cur.execute(
            f"CREATE TABLE {_q(plain)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING STORAGE"
            " INCLUDING COMMENTS)"
        )
        cur.execute(f"INSERT INTO {_q(plain)} SELECT * FROM {_q(table)}")
        cur.execute(
            "SELECT a.attname, pg_get_serial_sequence(%s, a.attname) FROM pg_attribute a"
            " WHERE a.attrelid = %s::regclass AND a.attidentity <> ''",
            [table, table],
        )
        identity = cur.fetchone()
        if identity is not None:
            column, sequence = identity
            cur.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cur.fetchone()
        cur.execute(f"DROP TABLE {_q(table)} CASCADE")
        cur.execute(
            f"DELETE FROM {PARTMAN_SCHEMA}.part_config WHERE parent_table = %s", [spec.parent]
        )
        cur.execute(f"DROP TABLE IF EXISTS {PARTMAN_SCHEMA}.{_q('template_public_' + table)}")
        cur.execute(f"ALTER TABLE {_q(plain)} RENAME TO {_q(table)}")
        if identity is not None:
            cur.execute(
                f"ALTER TABLE {_q(table)} ALTER COLUMN {_q(column)} ADD GENERATED BY DEFAULT"
                " AS IDENTITY"
            )
            cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            (new_sequence,) = cur.fetchone()
            if new_sequence != sequence:
                cur.execute(
                    f"ALTER SEQUENCE {new_sequence} RENAME TO {_q(sequence.split('.')[-1])}"
                )
            cur.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
        key = [c for c in pk_cols if c != spec.control] or list(pk_cols)
        cur.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(pk_name)}"
            f" PRIMARY KEY ({', '.join(_q(c) for c in key)})"
        )
        on_only = re.compile(r" ON ONLY ")
        for (definition,) in indexes:
            cur.execute(on_only.sub(" ON ", definition, count=1))
        for name, definition in constraints:
            cur.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for name, definition, comment in triggers:
            cur.execute(definition)
            if comment is not None:
                cur.execute(f"COMMENT ON TRIGGER {_q(name)} ON {_q(table)} IS %s", [comment])


# --- Maintenance (Celery beat, daily) --------------------------------------------------------


def _drain_default(cur, spec: PartitionedTable) -> int:
    """Move rows found in the default partition into partitions of their own (created as
    needed); returns the number of rows moved. Append-only triggers are bypassed for the
    move only (`session_replication_role = replica`, superuser): the rows are moved, not
    changed."""
    default = f"{spec.table}_default"
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(default)})")
    if not cur.fetchone()[0]:
        return 0
    function = "partition_data_id" if spec.by_id else "partition_data_time"
    cur.execute("SET LOCAL session_replication_role = replica")
    moved = 0
    try:
        while True:
            cur.execute(
                f"SELECT {PARTMAN_SCHEMA}.{function}(%s, p_batch_count := 1000,"
                " p_analyze := false)",
                [spec.parent],
            )
            batch = cur.fetchone()[0] or 0
            moved += batch
            if batch == 0:
                return moved
    finally:
        cur.execute("SET LOCAL session_replication_role = origin")


def _drop_old_id_partitions(cur, spec: PartitionedTable, kept: datetime.timedelta) -> list[str]:
    """Id sets: drop partitions whose newest `recorded_at` is older than `kept`, never the
    newest partition (pg_partman's id retention counts ids, not time)."""
    cur.execute(
        f"SELECT partition_tablename FROM {PARTMAN_SCHEMA}.show_partitions(%s, 'DESC')",
        [spec.parent],
    )
    names = [r[0] for r in cur.fetchall()][1:]
    cutoff = timezone.now() - kept
    dropped = []
    for name in names:
        cur.execute(f"SELECT max(recorded_at) FROM {_q(name)}")
        newest = cur.fetchone()[0]
        if newest is not None and newest < cutoff:
            cur.execute(f"DROP TABLE {_q(name)}")
            dropped.append(name)
    return dropped


def maintain() -> dict[str, dict]:
    """Create partitions ahead, move strays out of the default partitions, apply retention.

    Idempotent, one transaction per set. Retention per set comes from
    `settings.PARTITION_RETENTION` (days; None keeps for ever) and is written into
    pg_partman's `part_config` before `run_maintenance`, which drops (not detaches) time
    partitions wholly older than it. Returns `{table: {"moved": rows moved out of the
    default, "dropped": [partition names], "partitions": count}}`. Raises
    `PartitioningError` if a retention is below its legal minimum (nothing is dropped then).
    """
    report: dict[str, dict] = {}
    retention = {spec.table: retention_interval(spec.retention) for spec in TABLES}
    for spec in TABLES:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"SELECT 1 FROM {PARTMAN_SCHEMA}.part_config WHERE parent_table = %s",
                [spec.parent],
            )
            if cur.fetchone() is None:
                continue
            # Month bounds are UTC months whatever the session's zone (pg_partman uses it).
            cur.execute("SET LOCAL TimeZone = 'UTC'")
            kept = retention[spec.table]
            cur.execute(
                f"UPDATE {PARTMAN_SCHEMA}.part_config SET premake = %s,"
                " infinite_time_partitions = true, retention_keep_table = false,"
                " retention_keep_index = false, retention = %s WHERE parent_table = %s",
                [
                    spec.premake,
                    None if kept is None or spec.by_id else f"{kept.days} days",
                    spec.parent,
                ],
            )
            cur.execute(
                f"SELECT partition_tablename FROM {PARTMAN_SCHEMA}.show_partitions(%s)",
                [spec.parent],
            )
            before = {r[0] for r in cur.fetchall()}
            moved = _drain_default(cur, spec)
            if not spec.by_id:
                # A month missing between existing ones (dropped by hand, or skipped while
                # the default held its rows) is created again.
                cur.execute(f"SELECT {PARTMAN_SCHEMA}.partition_gap_fill(%s)", [spec.parent])
            cur.execute(
                f"SELECT partition_tablename FROM {PARTMAN_SCHEMA}.show_partitions(%s)",
                [spec.parent],
            )
            middle = {r[0] for r in cur.fetchall()}
            cur.execute(
                f"SELECT {PARTMAN_SCHEMA}.run_maintenance(%s, p_analyze := false,"
                " p_jobmon := false)",
                [spec.parent],
            )
            dropped = []
            if kept is not None and spec.by_id:
                dropped = _drop_old_id_partitions(cur, spec, kept)
            cur.execute(
                f"SELECT partition_tablename FROM {PARTMAN_SCHEMA}.show_partitions(%s)",
                [spec.parent],
            )
            after = {r[0] for r in cur.fetchall()}
            report[spec.table] = {
                "moved": moved,
                "dropped": sorted((before | middle) - after | set(dropped)),
                "created": sorted((middle | after) - before),
                "partitions": len(after),
            }
    return report


def partitions(table: str) -> list[tuple[str, str]]:
    """`[(partition name, bounds as PostgreSQL prints them)]` of a set, oldest first, the
    default last."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass"
            " ORDER BY c.relname = %s, c.relname",
            [table, f"{table}_default"],
        )
        return cur.fetchall()
