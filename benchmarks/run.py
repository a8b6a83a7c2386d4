"""`make bench`: registry, screening, feed and propagation figures on a large dataset.

Runs against DATABASE_URL (the Makefile points it at a separate `scs_bench` database), loads
`seed_demo --subjects $BENCH_SUBJECTS` (default 1 000 000; idempotent, so later runs reuse it),
adds BENCH_ENTRIES published entries on the judgment-defaulter list, and prints each figure as
a ratio against a floor measured in the same run: the bare SQL that any implementation of
that endpoint must at least run. Results also go to benchmarks/results/latest.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from benchmarks.harness import explain, measure, report, sql  # noqa: E402
from blacklists.models import ListDefinition, ListEntry  # noqa: E402
from registry.models import Agency, Subject, User  # noqa: E402
from sanctions import propagation, services  # noqa: E402

SUBJECTS = int(os.environ.get("BENCH_SUBJECTS", "1000000"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "20000"))
RESULTS = Path(__file__).parent / "results"


def setup_data() -> None:
    started = time.monotonic()
    call_command("seed_demo", "--subjects", str(SUBJECTS), "--relations", "5000")
    print(f"[bench] dataset ready in {time.monotonic() - started:.0f}s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def bench_entries() -> ListDefinition:
    """ENTRIES published entries on the defaulter list, inserted in bulk (benchmark fixture:
    the due-process path is exercised by the tests, not timed here)."""
    definition = ListDefinition.objects.get(key="spc_defaulters")
    have = ListEntry.objects.filter(list=definition, decision_number__startswith="BENCH-").count()
    if have >= ENTRIES:
        return definition
    clerk = User.objects.filter(agency=definition.owner).first()
    ground = definition.grounds.first()
    tier = definition.tiers.order_by("-min_months").first()
    today = timezone.localdate()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO blacklists_listentry
              (list_id, subject_id, ground_id, tier_id, duration_months, state, decision_number,
               decision_date, decision_issuer, facts, created_by_id, created_at, notified_via,
               notice_reference, published_at, starts_on, ends_on, publicity_ends_on, end_reason,
               end_note, updated_at)
            SELECT %(list)s, s.id, %(ground)s, %(tier)s, 24, 'published', 'BENCH-' || s.id,
                   %(today)s, '最高人民法院', 'benchmark', %(clerk)s, now(), 'electronic', '',
                   now(), %(today)s, %(today)s + 730, %(today)s + 730, '', '', now()
            FROM registry_subject s
            WHERE s.kind = ANY(%(kinds)s::varchar[])
              AND NOT EXISTS (SELECT 1 FROM blacklists_listentry e
                              WHERE e.subject_id = s.id AND e.decision_number = 'BENCH-' || s.id)
            ORDER BY s.id
            LIMIT %(n)s
            """,
            {
                "list": definition.pk,
                "ground": ground.pk,
                "tier": tier.pk,
                "today": today,
                "clerk": clerk.pk,
                "kinds": definition.subject_kinds,
                "n": ENTRIES - have,
            },
        )
    return definition


def token_client(agency: Agency) -> Client:
    user, _ = User.objects.get_or_create(
        username=f"bench-{agency.pk}", defaults={"agency": agency, "is_system": True}
    )
    _instance, token = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    setup_data()
    definition = bench_entries()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    results: dict = {
        "subjects": Subject.objects.count(),
        "published_entries": ListEntry.objects.filter(state="published").count(),
        "figures": [],
    }
    print(f"[bench] {results['subjects']} subjects, {results['published_entries']} published")
    figures = results["figures"]

    # --- propagation: set-based imposition of every expected sanction ----------------------
    print("\nPropagation (reconcile --fix from a clean slate)")
    on = timezone.localdate()
    expected_sql, params = propagation.expected_sql(propagation.Scope(), on)
    with transaction.atomic():
        floor_start = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE bench_expected AS {expected_sql}", params)
            expected_rows = cur.rowcount
        floor_s = time.perf_counter() - floor_start
        transaction.set_rollback(True)
    with connection.cursor() as cur:
        # A clean slate each run, so the figure is the same on the first run and the tenth.
        cur.execute(
            "TRUNCATE sanctions_sanctionfeedback, sanctions_sanctionevent, sanctions_sanction, "
            "sanctions_sanctionfeedbackevent"
        )
        before = 0
    start = time.perf_counter()
    drift = services.reconcile(fix=True)
    actual_s = time.perf_counter() - start
    print(f"  expected sanctions: {expected_rows} (in force before: {before})")
    print(f"  floor  (materialise expected set): {floor_s:.2f}s")
    print(f"  actual (drift + upsert + feed events): {actual_s:.2f}s, imposed {drift.missing}")
    print(
        f"  ratio: {actual_s / floor_s:.1f}x the floor; {drift.missing / actual_s:,.0f} sanctions/s"
    )
    figures.append(
        {
            "title": "reconcile --fix",
            "floor_s": floor_s,
            "actual_s": actual_s,
            "imposed": drift.missing,
            "ratio": actual_s / floor_s,
        }
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE sanctions_sanction, sanctions_sanctionevent")
    start = time.perf_counter()
    clean = services.reconcile(fix=False)
    check_s = time.perf_counter() - start
    print(f"  drift check afterwards: {clean.total} in {check_s:.2f}s")

    caac = Agency.objects.get(short_name__in=["民航局", "中国民用航空局"])
    api = token_client(caac)

    # --- registry search --------------------------------------------------------------------
    print("\nAPI subject search (GET /api/v1/subjects/?q=…)")
    sample = Subject.objects.filter(kind="enterprise").order_by("id")[SUBJECTS // 2 :].first()
    for label, fragment in [
        ("rare 4-character fragment", sample.name[2:6]),
        ("boilerplate fragment 有限公司", "有限公司"),
    ]:
        floor = measure(
            "bare LIKE on name, newest 50",
            sql(
                "SELECT id, identifier, name FROM registry_subject WHERE name_key LIKE %s "
                "ORDER BY id DESC LIMIT 51",
                [f"%{fragment}%"],
            ),
        )
        actual = measure(
            "HTTP GET", lambda f=fragment: api.get("/api/v1/subjects/", {"q": f}), repeat=20
        )
        figures.append(report(f"{label} {fragment!r}", actual, floor))
    print("    plan of the floor query (boilerplate):")
    print(
        explain(
            "SELECT id FROM registry_subject WHERE name_key LIKE %s ORDER BY id DESC LIMIT 51",
            ["%有限公司%"],
        )
    )

    print("\nAPI subject detail (GET /api/v1/subjects/{identifier}/)")
    floor = measure(
        "bare lookup by identifier",
        sql("SELECT * FROM registry_subject WHERE identifier = %s", [sample.identifier]),
    )
    actual = measure("HTTP GET", lambda: api.get(f"/api/v1/subjects/{sample.identifier}/"))
    figures.append(report("detail with roles and former names", actual, floor))

    # --- screening ------------------------------------------------------------------------
    print("\nScreening 10 000 identifiers (POST /api/v1/screenings/)")
    codes = list(Subject.objects.order_by("?").values_list("identifier", flat=True)[:10_000])
    floor = measure(
        "bare join identifiers → sanctions in force",
        sql(
            "SELECT s.identifier, x.id FROM registry_subject s LEFT JOIN sanctions_sanction x "
            "ON x.target_id = s.id AND x.status = 'in_force' AND x.implementing_agency_id = %s "
            "WHERE s.identifier = ANY(%s::varchar[])",
            [caac.pk, codes],
        ),
        repeat=10,
    )
    body = json.dumps({"identifiers": codes})
    actual = measure(
        "HTTP POST",
        lambda: api.post("/api/v1/screenings/", body, content_type="application/json"),
        repeat=10,
    )
    figures.append(report("screening of 10 000", actual, floor))

    # --- feed ------------------------------------------------------------------------------
    print("\nSanction feed page of 200 (GET /api/v1/sanctions/feed/)")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id FROM sanctions_sanctionevent WHERE implementing_agency_id = %s "
            "ORDER BY id OFFSET %s LIMIT 1",
            [caac.pk, ENTRIES // 2],
        )
        row = cur.fetchone()
    middle = row[0] if row else 0
    from sanctions.selectors import encode_cursor

    floor = measure(
        "bare keyset page",
        sql(
            "SELECT e.*, s.* FROM sanctions_sanctionevent e "
            "JOIN sanctions_sanction s ON s.id = e.sanction_id "
            "WHERE e.implementing_agency_id = %s AND e.id > %s ORDER BY e.id LIMIT 201",
            [caac.pk, middle],
        ),
    )
    cursor = encode_cursor(middle)
    actual = measure(
        "HTTP GET", lambda: api.get("/api/v1/sanctions/feed/", {"after": cursor, "limit": 200})
    )
    figures.append(report("feed page from the middle", actual, floor))

    # --- event-driven propagation -----------------------------------------------------------
    print("\nOne outbox event (publish → sanctions and feed events), 200 events")
    from blacklists import services as lists_services

    entries = list(
        ListEntry.objects.filter(list=definition, state="published")
        .order_by("-id")
        .values_list("id", flat=True)[:200]
    )
    reviewer = User.objects.filter(agency=definition.owner, role="reviewer").first()
    for entry_id in entries:
        lists_services.list_entry_revoke(
            actor=reviewer, entry=ListEntry.objects.get(pk=entry_id), reason="benchmark"
        )
    pending = services.pending_outbox_events(10_000)
    start = time.perf_counter()
    for event_id in pending:
        services.outbox_event_process(event_id=event_id)
    per_event_ms = (time.perf_counter() - start) * 1000 / max(1, len(pending))
    floor = measure(
        "bare UPDATE of one entry's sanctions",
        sql(
            "UPDATE sanctions_sanction SET lift_reason = lift_reason WHERE entry_id = %s",
            [entries[0]],
        ),
    )
    print(f"  floor  ({floor.name}): {floor}")
    print(
        f"  actual: {per_event_ms:.2f} ms per event over {len(pending)} events "
        f"(lock, claim, lift, feed events, commit)"
    )
    print(f"  ratio: {per_event_ms / floor.median_ms:.1f}x the floor")
    figures.append(
        {
            "title": "outbox event",
            "floor_ms": floor.median_ms,
            "actual_ms": per_event_ms,
            "ratio": per_event_ms / floor.median_ms,
        }
    )

    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\n[bench] results written to {RESULTS / 'latest.json'}")

    portal = Path(__file__).parent / "portal_search.py"
    if portal.exists():
        print("\nPortal search")
        import runpy

        runpy.run_path(str(portal), run_name="__main__")


if __name__ == "__main__":
    main()
