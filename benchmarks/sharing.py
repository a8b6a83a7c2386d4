"""Sharing figures: the file, the credit check of 1 000 identifiers, bulk collection of 10 000.

    DATABASE_URL=postgres://…/scs_i12_bench python -m benchmarks.sharing

Runs against a database loaded with `seed_demo --subjects N`. Adds (idempotently) one
government-visible and one restricted record to BENCH_FILE_SUBJECTS companies, and a consent
of one company in CONSENT_EVERY for the consulting agency, then measures
through the real HTTP stack (Django test client, token auth, serializers, access-log writes)
and prints p95 and query counts, each against a floor of bare SQL measured in the same run.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from benchmarks.harness import measure, report, sql  # noqa: E402
from registry.models import Agency, CatalogueItem, CreditRecord, Subject, User  # noqa: E402
from sharing.models import Consent, Purpose  # noqa: E402

FILE_SUBJECTS = int(os.environ.get("BENCH_FILE_SUBJECTS", "2000"))
# One company in CONSENT_EVERY gave the consulting agency its consent (all restricted items,
# administrative licensing), so the file returns its restricted record too.
CONSENT_EVERY = 4
CONSENT_PURPOSE = "administrative_licensing"
RNG = random.Random(12)


def client_for(agency: Agency, username: str) -> Client:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"agency": agency, "role": "clerk", "is_system": True}
    )
    _instance, token = AuthToken.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def setup() -> tuple[Agency, Agency, list[str]]:
    samr = CatalogueItem.objects.get(code="N-001").supplying_agency
    consulting = Agency.objects.exclude(pk=samr.pk).order_by("pk").first()
    items = {
        "G-901": ("government", "inspection"),
        "R-901": ("restricted", "tax"),
    }
    made = {}
    for code, (visibility, record_type) in items.items():
        made[code], _ = CatalogueItem.objects.get_or_create(
            code=code,
            defaults={
                "name": f"基准目录{code}",
                "category": "negative",
                "visibility": visibility,
                "record_type": record_type,
                "supplying_agency": samr,
                "legal_basis": "benchmark",
                "publicity_months": 36,
                "requires_review": False,
            },
        )
    companies = list(
        Subject.objects.organisations()
        .order_by("id")
        .values_list("id", "identifier")[:FILE_SUBJECTS]
    )
    today = timezone.localdate()
    if not CreditRecord.objects.filter(decision_number__startswith="BENCH-F-").exists():
        rows = [
            CreditRecord(
                subject_id=pk,
                catalogue_item=item,
                agency=samr,
                supplier=samr,
                decision_number=f"BENCH-F-{code}-{pk}",
                decision_date=today - datetime.timedelta(days=20),
                title="基准记录",
                content="基准",
                status="confirmed",
                publicity_ends_on=today + datetime.timedelta(days=700),
            )
            for pk, _identifier in companies
            for code, item in made.items()
        ]
        CreditRecord.objects.bulk_create(rows, batch_size=5000)
    if not Consent.objects.filter(evidence_reference__startswith="BENCH-C-").exists():
        purpose = Purpose.objects.get(code=CONSENT_PURPOSE)
        Consent.objects.bulk_create(
            Consent(
                subject_id=pk,
                agency=consulting,
                purpose=purpose,
                all_restricted=True,
                valid_from=today - datetime.timedelta(days=10),
                valid_until=today + datetime.timedelta(days=365),
                given=Consent.Given.DOCUMENT,
                evidence_sha256=hashlib.sha256(f"BENCH-C-{pk}".encode()).hexdigest(),
                evidence_reference=f"BENCH-C-{pk}",
            )
            for pk, _identifier in companies[::CONSENT_EVERY]
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return samr, consulting, [identifier for _pk, identifier in companies]


def bench_file(consulting: Agency, identifiers: list[str]) -> list[dict]:
    client = client_for(consulting, "bench-file")
    sample = RNG.sample(identifiers, 200)
    queue = iter(sample * 3)

    def one():
        code = next(queue)
        response = client.get(
            f"/api/v1/subjects/{code}/file/?purpose=administrative_licensing&reference=B-1"
        )
        assert response.status_code == 200, response.content[:300]

    with CaptureQueriesContext(connection) as ctx:
        one()
    queries = len(ctx.captured_queries)
    actual = measure("GET …/file/ (HTTP, token, log row)", one, repeat=200, warmup=5)
    floor_code = sample[0]
    floor = measure(
        "bare SQL: subject + its records",
        sql(
            "SELECT r.* FROM registry_creditrecord r JOIN registry_subject s "
            "ON s.id = r.subject_id WHERE s.identifier = %s",
            [floor_code],
        ),
        repeat=200,
    )
    result = report(f"file of one subject ({queries} queries)", actual, floor)
    result["queries"] = queries
    return [result]


def bench_credit_check(consulting: Agency, identifiers: list[str]) -> list[dict]:
    client = client_for(consulting, "bench-check")
    everyone = list(Subject.objects.order_by("?").values_list("identifier", flat=True)[:5000])
    batches = [RNG.sample(everyone, 1000) for _ in range(5)]
    counter = iter(range(10**6))

    def one():
        batch = batches[next(counter) % len(batches)]
        response = client.post(
            "/api/v1/credit-checks/",
            {"purpose": "government_procurement", "reference": "B-2", "identifiers": batch},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]

    with CaptureQueriesContext(connection) as ctx:
        one()
    queries = len(ctx.captured_queries)
    actual = measure("POST /credit-checks/ 1 000 identifiers", one, repeat=15, warmup=2)
    floor = measure(
        "bare SQL: 1 000 identifiers to ids",
        sql(
            "SELECT id FROM registry_subject WHERE identifier = ANY(%s::varchar[])",
            [batches[0]],
        ),
        repeat=15,
    )
    result = report(f"credit check of 1 000 ({queries} queries)", actual, floor)
    result["queries"] = queries
    return [result]


def bulk_body(identifiers: list[str], n: int, run: str) -> str:
    """`n` valid penalty records (JSON Lines) of the market regulator for these companies."""
    decided = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    rows = [
        {
            "subject_identifier": identifiers[i % len(identifiers)],
            "catalogue_item": "N-001",
            "decision_number": f"BENCH-B-{run}-{i}",
            "decision_date": decided,
            "content": "发布虚假广告，罚款人民币五千元。",
            "legal_basis": "《广告法》第五十五条",
            "penalty": {"kind": "罚款", "amount_yuan": "5000.00", "severity": "ordinary"},
        }
        for i in range(n)
    ]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)


def bench_bulk(samr: Agency, identifiers: list[str]) -> list[dict]:
    client = client_for(samr, "bench-bulk")
    body = bulk_body(identifiers, 10_000, str(int(time.time())))
    # Floor: the same 10 000 rows into a bare table (no indexes, foreign keys or history
    # trigger) in one statement: what any implementation must at least pay to store them.
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_floor "
            "(LIKE registry_creditrecord INCLUDING DEFAULTS)"
        )
        started = time.perf_counter()
        cur.execute(
            "INSERT INTO bench_floor SELECT * FROM registry_creditrecord ORDER BY id LIMIT 10000"
        )
        floor = (time.perf_counter() - started) * 1000
        cur.execute("DROP TABLE bench_floor")
    print(f"  bulk floor: 10 000 rows into a bare table: {floor:.0f} ms")
    results = [{"title": "bulk floor (bare table)", "ms": round(floor)}]
    for label in ("10 000 new records", "the same 10 000 resent (all unchanged)"):
        with CaptureQueriesContext(connection) as ctx:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.post(
                "/api/v1/credit-records/bulk/", body, content_type="application/x-ndjson"
            )
            elapsed = (time.perf_counter() - started) * 1000
            cpu_ms = (time.process_time() - cpu) * 1000
        assert response.status_code == 200, response.content[:300]
        counts = response.json()["counts"]
        db_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        print(
            f"  bulk, {label}: {elapsed:.0f} ms wall ({cpu_ms:.0f} ms CPU in the web process, "
            f"{db_ms:.0f} ms waiting on the database), {len(ctx.captured_queries)} queries, "
            f"{counts}; load average {os.getloadavg()[0]:.1f}"
        )
        results.append(
            {
                "title": f"bulk {label}",
                "ms": round(elapsed),
                "cpu_ms": round(cpu_ms),
                "db_ms": round(db_ms),
                "counts": counts,
            }
        )
    return results


def main() -> None:
    samr, consulting, identifiers = setup()
    print(f"[bench] {Subject.objects.count()} subjects, {CreditRecord.objects.count()} records")
    only = os.environ.get("BENCH_ONLY", "file,check,bulk").split(",")
    figures = [
        *(bench_file(consulting, identifiers) if "file" in only else []),
        *(bench_credit_check(consulting, identifiers) if "check" in only else []),
        *(bench_bulk(samr, identifiers) if "bulk" in only else []),
    ]
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
