"""Bulk import figures (issue 10: "10 000 rows validate in under 10 s").

    DATABASE_URL=postgres://…/scs_i10c python -m benchmarks.bulk_import

Runs against a database loaded with `seed_demo --demo --subjects N` (N ≥ BENCH_IMPORT_ROWS
subjects of one list's kinds). Builds a valid file of BENCH_IMPORT_ROWS rows (default 10 000)
for the demo list that can hold the most registered subjects, as a Chinese office saves it:
GB18030 text, Chinese headers, dates in several spellings, 15-digit resident IDs where the
list holds persons. Times `import_list_entries(dry_run=True)` (nothing is written) and then
the real import (the drafts are committed: decision numbers carry a run tag so that runs do
not collide), prints rows, seconds, rows/s and the query count of each.
"""

from __future__ import annotations

import csv
import io
import os
import random
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.db import connection  # noqa: E402

from blacklists.importing import CHINESE_HEADERS, COLUMNS, import_list_entries  # noqa: E402
from blacklists.models import ListDefinition  # noqa: E402
from registry.models import Subject, User  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
LIMIT_S = 10.0  # the bound for validating ROWS = 10 000
RNG = random.Random(10)
DATE_SPELLINGS = ["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}{m:02d}{d:02d}"]


def pick_list() -> tuple[ListDefinition, list[str]]:
    best: tuple[ListDefinition | None, list[str]] = (None, [])
    for definition in ListDefinition.objects.filter(is_active=True).select_related("owner"):
        codes = list(
            Subject.objects.filter(kind__in=definition.subject_kinds, agency__isnull=True)
            .order_by("id")
            .values_list("identifier", flat=True)[:ROWS]
        )
        if len(codes) > len(best[1]):
            best = (definition, codes)
    if best[0] is None or len(best[1]) < ROWS:
        raise SystemExit(
            f"No list can hold {ROWS} registered subjects: seed_demo --subjects {ROWS * 2}."
        )
    return best  # type: ignore[return-value]


def clerk_of(definition: ListDefinition) -> User:
    user, _ = User.objects.get_or_create(
        username=f"bench-import-{definition.owner_id}",
        defaults={"agency_id": definition.owner_id, "role": "clerk"},
    )
    return user


def build_file(definition: ListDefinition, codes: list[str], tag: str) -> bytes:
    ground = definition.grounds.order_by("code").first()
    tier = definition.tiers.order_by("min_months").first()
    issuer = definition.owner.subject.name
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([CHINESE_HEADERS[c] for c in COLUMNS])
    for i, code in enumerate(codes):
        y, m, d = 2025, 1 + i % 12, 1 + i % 28
        writer.writerow(
            [
                definition.key,
                code,
                ground.code,
                tier.tier,
                tier.min_months,
                f"{tag}〔2025〕{i + 1}号",
                RNG.choice(DATE_SPELLINGS).format(y=y, m=m, d=d),
                issuer,
                f"经查，该主体未履行生效法律文书确定的义务（第{i + 1}号案）。",
            ]
        )
    return out.getvalue().encode("gb18030")


def timed(label: str, **kwargs) -> float:
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = import_list_entries(**kwargs)
        took = time.perf_counter() - started
    created = len(result.created_ids)
    print(
        f"  {label:<10} {result.rows:6d} rows  {took:7.2f} s  {result.rows / took:8.0f} rows/s  "
        f"{len(queries):6d} queries  errors {len(result.errors)}  created {created}"
    )
    if result.errors:
        print("    first errors:", [str(e) for e in result.errors[:3]])
    return took


def main() -> None:
    definition, codes = pick_list()
    actor = clerk_of(definition)
    tag = f"导入基准{int(time.time())}"
    content = build_file(definition, codes, tag)
    print(
        f"bulk import: list {definition.key} ({definition.owner.subject.name}), {ROWS} rows, "
        f"{len(content) / 1e6:.1f} MB GB18030 CSV"
    )
    dry = timed("dry run", actor=actor, content=content, filename="bench.csv", dry_run=True)
    timed("import", actor=actor, content=content, filename="bench.csv", dry_run=False)
    verdict = "PASS" if dry < LIMIT_S * ROWS / 10_000 else "FAIL"
    print(f"  dry run of {ROWS} rows under {LIMIT_S * ROWS / 10_000:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
