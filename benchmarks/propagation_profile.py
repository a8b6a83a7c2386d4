"""Where the time of a propagation batch goes, in process (issue 14, workload 1).

Run like the served bench (same environment variables), with BENCH_ONLY ignored:

    BENCH_SUBJECTS=100000 BENCH_ENTRIES=2000 BENCH_RUN_DB=scs_bench_100000_<me> \
        .venv/bin/python benchmarks/propagation_profile.py

It copies the seeded database (unless PROFILE_KEEP_DB=1 and the copy exists), prepares the
bench's memorandum and entries, publishes them through the list clock, then drains the outbox
with `outbox_events_process` in a loop (PROFILE_BATCH events a batch, default the configured
starting size), timing every statement of every batch (first words of the SQL → total ms and
calls), the COMMIT, and the whole batch; then prints the EXPLAIN (ANALYZE, BUFFERS) of one more
batch's statements, rolled back. Nothing here is a test: it prints, for a commit message.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchmarks.served as served  # noqa: E402


def main() -> None:
    if os.environ.get("PROFILE_KEEP_DB") != "1":
        served.build_database()
    served.django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from blacklists import services as lists
    from sanctions import propagation, services

    fx = served.prepare_lists()
    started = time.perf_counter()
    published = 0
    while n := lists.list_clock_publish_lapsed(limit=1000):
        published += n
    print(f"published {published} in {time.perf_counter() - started:.1f}s", flush=True)

    per_sql: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0])

    def timer(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())[:70]
            per_sql[key][0] += (time.perf_counter() - t0) * 1000
            per_sql[key][1] += 1

    size = int(os.environ.get("PROFILE_BATCH") or services.outbox_batch_size())
    batches, sanctions, commit_ms = [], 0, 0.0
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        while True:
            t0 = time.perf_counter()
            with transaction.atomic():
                batch = services.outbox_events_process(fill=size)
                t1 = time.perf_counter()
            commit_ms += (time.perf_counter() - t1) * 1000
            batches.append((time.perf_counter() - t0) * 1000)
            sanctions += batch.changed
            if batch.claimed < size:
                break
    drain = time.perf_counter() - started
    print(
        f"drained {sanctions} sanctions in {len(batches)} batches of {size} events, "
        f"{drain:.2f}s, {sanctions / drain:,.0f}/s; batch ms p50 "
        f"{sorted(batches)[len(batches) // 2]:.0f} max {max(batches):.0f}; "
        f"commit total {commit_ms:.0f} ms; load {os.getloadavg()[0]:.1f}"
    )
    for key, (ms, calls) in sorted(per_sql.items(), key=lambda kv: -kv[1][0]):
        print(f"  {ms:9.0f} ms {calls:5d}x  {key}")

    expected_sql, params = propagation.expected_sql(
        propagation.Scope(entry_ids=tuple(fx["bulk_ids"]), require_in_force=False),
        timezone.localdate(),
    )
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_floor")
        cur.execute("CREATE TABLE bench_floor (LIKE sanctions_sanction INCLUDING ALL)")
        t0 = time.perf_counter()
        cur.execute(
            f"""INSERT INTO bench_floor (entry_id, measure_id, target_id, implementing_agency_id,
                                          status, imposed_at, lifted_at, lift_reason)
                SELECT entry_id, measure_id, target_id, agency_id, 'in_force', now(), NULL, ''
                FROM ({expected_sql}) x
                ON CONFLICT (entry_id, measure_id, target_id) DO NOTHING""",  # noqa: S608
            params,
        )
        floor, rows = time.perf_counter() - t0, cur.rowcount
        cur.execute("DROP TABLE bench_floor")
    print(
        f"floor: {rows} rows in {floor:.2f}s ({rows / floor:,.0f}/s); "
        f"ratio {drain / floor:.2f}; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
