"""Portal search over HTTP (Django's test Client) against the bare SQL of the same kind.

    DATABASE_URL=postgres://…/scs .venv/bin/python benchmarks/portal_search.py [--runs 30]

For each kind of query (identifier, rare fragment, boilerplate fragment, 2 characters, typo)
it prints the median and p95 of the whole HTTP request (middleware, search, badges,
template) and of the bare index query measured in the same run, the ratio between them, the
number of SQL queries the request ran, and the plan of the request's candidate query.
The ratio should not grow with the table: every step is capped.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.harness import measure  # noqa: E402
from registry.models import Subject, SubjectKind  # noqa: E402
from registry.selectors import bigram_tsquery, like_escape  # noqa: E402

BARE = {
    "identifier": ("SELECT id FROM registry_subject WHERE identifier = %s", lambda q: q),
    "substring": (
        "SELECT id FROM registry_subject WHERE name_key ILIKE %s LIMIT 200",
        lambda q: f"%{like_escape(q)}%",
    ),
    "bigram": (
        "SELECT id FROM registry_subject WHERE registry_name_bigrams(name_key) @@ %s::tsquery "
        "LIMIT 200",
        bigram_tsquery,
    ),
}


def pick_queries() -> list[tuple[str, str, str]]:
    """(label, query, bare SQL kind) drawn from whatever data the database holds."""
    orgs = Subject.objects.exclude(kind=SubjectKind.NATURAL_PERSON)
    count = orgs.count()
    if not count:
        sys.exit("No organisations in this database: run manage.py seed_demo first.")
    sample = orgs.order_by("id")[count // 2]
    rare = orgs.filter(name__regex=r"^.{6,}$").order_by("id")[count // 3].name
    rare_fragment = rare[2:6]
    typo = rare[1:3] + "〇" + rare[4:7] if len(rare) >= 7 else rare[:5]
    return [
        ("identifier", sample.identifier, "identifier"),
        (f"rare fragment {rare_fragment}", rare_fragment, "substring"),
        ("boilerplate 有限公司", "有限公司", "substring"),
        ("boilerplate 股份有限", "股份有限", "substring"),
        (f"2 characters {sample.name[:2]}", sample.name[:2], "bigram"),
        ("2 characters 公司", "公司", "bigram"),
        (f"typo {typo}", typo, "substring"),
    ]


def timed(fn, runs: int) -> tuple[float, float]:
    result = measure("", fn, repeat=runs, warmup=1)
    return result.median_ms, result.p95_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings.PORTAL_RATE_LIMITS = {"search": (10**9, 60)}
    client = Client()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM registry_subject")
        total = cur.fetchone()[0]
    print(f"portal search benchmark: {total} subjects, {args.runs} runs each (ms)")
    print(
        f"{'query':34} {'http p50':>9} {'http p95':>9} {'sql p50':>8} {'ratio':>6} {'queries':>7}"
    )
    for label, query, kind in pick_queries():
        sql, param = BARE[kind]

        value = param(query)

        def bare(sql=sql, value=value):
            with connection.cursor() as cur:
                cur.execute(sql, [value])
                cur.fetchall()

        def http(query=query):
            response = client.get("/search/", {"q": query})
            assert response.status_code in (200, 302), response.status_code

        captured: list[str] = []

        def record(execute, sql, params, many, context, captured=captured):
            captured.append(connection.cursor().mogrify(sql, params).decode())
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            client.get("/search/", {"q": query})
        http_p50, http_p95 = timed(http, args.runs)
        sql_p50, _ = timed(bare, args.runs)
        ratio = http_p50 / sql_p50 if sql_p50 else float("inf")
        print(
            f"{label[:34]:34} {http_p50:9.2f} {http_p95:9.2f} {sql_p50:8.3f} {ratio:6.1f} "
            f"{len(captured):7d}"
        )
        if not captured:
            continue
        candidate = max(captured, key=len)
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (COSTS OFF) " + candidate)
            plan = [row[0] for row in cur.fetchall()]
        scans = sorted(
            {line.strip().split(" on ")[0].lstrip("-> ") for line in plan if " on " in line}
        )
        print(f"{'':34} plan: {', '.join(scans)[:90]}")


if __name__ == "__main__":
    main()
