"""Open data export at scale: peak memory (RSS) and time of `export_open_data`.

    DATABASE_URL=postgres://…/scs_i15_bench python -m benchmarks.open_data_export --entries 100000

Run on a database seeded with `seed_demo --subjects N`. Publishes up to `--entries` more entries
(state published on a public list, one per subject not yet listed, decision numbers `BENCH-…`)
with one set-based INSERT (a benchmark fixture, not due process), then runs the export twice
in child processes: a first version (every row an ADD) and a second after ending 1 % of the
bench entries (a delta of DELs against a 100 000-row previous version). Peak RSS comes from
the kernel's accounting of each child (`getrusage(RUSAGE_CHILDREN)` via /usr/bin/time).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]


def publish_bench_entries(n: int) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM blacklists_listentry WHERE decision_number LIKE 'BENCH-%%'"
        )
        have = cur.fetchone()[0]
        if have >= n:
            return have
        cur.execute(
            """
            SELECT l.id, g.id, t.id, l.owner_id FROM blacklists_listdefinition l
            JOIN blacklists_listground g ON g.list_id = l.id
            JOIN blacklists_severitytier t ON t.list_id = l.id AND t.tier = 'serious'
            WHERE l.is_public AND l.is_active AND l.kind = 'blacklist'
              AND 'enterprise' = ANY(l.subject_kinds) AND 'natural_person' = ANY(l.subject_kinds)
            ORDER BY l.id LIMIT 1
            """
        )
        list_id, ground_id, tier_id, owner_id = cur.fetchone()
        # A fixture, not due process: no history triggers (pghistory writes one event row per
        # entry through a PL/pgSQL trigger, which took over 20 minutes here under load).
        cur.execute("ANALYZE registry_subject")
        cur.execute("ANALYZE blacklists_listentry")
        cur.execute("SET session_replication_role = replica")
        cur.execute("SELECT id FROM registry_user WHERE agency_id = %s LIMIT 1", [owner_id])
        user_id = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO blacklists_listentry (
                duration_months, state, decision_number, decision_date, decision_issuer, facts,
                created_at, notified_via, notice_reference, published_at, starts_on, ends_on,
                publicity_ends_on, end_reason, end_note, updated_at, created_by_id, list_id,
                subject_id, ground_id, tier_id)
            SELECT 12, 'published', 'BENCH-' || s.id, DATE '2026-06-01', '基准测试法院',
                   '基准测试事实：拒不履行生效法律文书确定的义务。', now(), 'electronic', '',
                   now(), DATE '2026-06-01', DATE '2027-06-01', DATE '2029-06-01', '', '',
                   now(), %s, %s, s.id, %s, %s
            FROM registry_subject s
            WHERE s.kind IN ('enterprise', 'natural_person')
              AND NOT EXISTS (SELECT 1 FROM blacklists_listentry e WHERE e.subject_id = s.id)
            ORDER BY s.id
            LIMIT %s
            """,
            [user_id, list_id, ground_id, tier_id, n - have],
        )
        inserted = cur.rowcount
        cur.execute("SET session_replication_role = origin")
        cur.execute("ANALYZE blacklists_listentry")
        return have + inserted


def end_one_percent() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            """
            UPDATE blacklists_listentry SET state = 'ended', end_reason = 'repaired',
                   ended_at = now(), updated_at = now()
            WHERE decision_number LIKE 'BENCH-%%' AND state = 'published' AND id %% 100 = 0
            """,
            [],
        )
        ended = cur.rowcount
        cur.execute("SET session_replication_role = origin")
        return ended


def run_export(out: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - fixed command
        ["/usr/bin/time", "-v", sys.executable, "manage.py", "export_open_data", "--out", str(out)],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return seconds, rss, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
    django.setup()
    total = publish_bench_entries(args.entries)
    print(f"bench entries in publicity: {total}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for label in ("first version", "second version (1 % ended)"):
            if label.startswith("second"):
                print(f"ended {end_one_percent()} entries")
            seconds, rss, summary = run_export(out)
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            print(f"{label}: {seconds:.1f} s, peak RSS {rss / 1024:.0f} MiB; {summary}")
            print(f"  files on disk so far: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
