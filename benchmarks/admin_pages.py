"""Admin page times for the clerk's workspace on a large registry.

    DATABASE_URL=postgres://…/scs_i11_bench BENCH_SUBJECTS=100000 \
        .venv/bin/python -m benchmarks.admin_pages

Loads `seed_demo --subjects $BENCH_SUBJECTS` (idempotent) plus BENCH_ENTRIES published
entries, then times each page a clerk, a reviewer and an implementing agency's clerk use,
through Django's test client (full request: middleware, session, admin, templates), as
median and p95 of 15 requests after warm-up. The floor is the cheapest admin page (the login
form), so the ratios show what each page adds. The target is 300 ms at 1 000 000 subjects.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks.harness import measure, report  # noqa: E402
from blacklists.models import ListDefinition, ListEntry  # noqa: E402
from registry.demo import ensure_demo_user  # noqa: E402
from registry.models import Agency, User  # noqa: E402
from sanctions import services as sanction_services  # noqa: E402
from sanctions.models import Sanction  # noqa: E402

SUBJECTS = int(os.environ.get("BENCH_SUBJECTS", "1000000"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "20000"))
RESULTS = Path(__file__).parent / "results"


def setup_data() -> None:
    started = time.monotonic()
    call_command("seed_demo", "--demo", "--subjects", str(SUBJECTS), "--relations", "5000")
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


def client_for(username: str) -> Client:
    """A signed-in client; staff who must use a second factor (issue 10) get a confirmed TOTP
    device in the session, as a real sign-in would leave (the sign-in itself is not timed)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from scs.security import otp_required

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    user = User.objects.get(username=username)
    client.force_login(user)
    if otp_required(user):
        device, _new = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def get(client: Client, url: str, params: dict | None = None):
    def run():
        response = client.get(url, params or {})
        assert response.status_code == 200, (url, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    return run


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    setup_data()
    bench_entries()
    # Sanctions for the bench entries (idempotent: only what is missing is imposed).
    for event_id in sanction_services.pending_outbox_events(100_000):
        sanction_services.outbox_event_process(event_id=event_id)
    ensure_demo_user("caac-clerk", Agency.objects.get(subject__name__contains="民用航空"), "clerk")
    clerk, reviewer, caac = (
        client_for("spc-clerk"),
        client_for("spc-reviewer"),
        client_for("caac-clerk"),
    )
    entry = ListEntry.objects.filter(list__owner__users__username="spc-clerk").first()
    sanction = Sanction.objects.filter(implementing_agency__users__username="caac-clerk").first()
    floor = measure("login form", get(Client(), "/admin/login/"), repeat=15)
    pages = [
        ("home with work queues (reviewer)", reviewer, "/admin/", None),
        ("list entries, first page", clerk, "/admin/blacklists/listentry/", None),
        ("list entries, my drafts", clerk, "/admin/blacklists/listentry/", {"queue": "my_drafts"}),
        ("list entries, search 有限公司", clerk, "/admin/blacklists/listentry/", {"q": "有限公司"}),
        (
            "list entry page (steps, dry run, history)",
            reviewer,
            f"/admin/blacklists/listentry/{entry.pk}/change/",
            None,
        ),
        ("add entry form", clerk, "/admin/blacklists/listentry/add/", None),
        ("subjects, first page", clerk, "/admin/registry/subject/", None),
        ("subjects, search 恒信", clerk, "/admin/registry/subject/", {"q": "恒信"}),
        (
            "autocomplete 有限公司",
            clerk,
            "/admin/autocomplete/",
            {
                "app_label": "blacklists",
                "model_name": "listentry",
                "field_name": "subject",
                "term": "有限公司",
            },
        ),
        (
            "autocomplete 恒信",
            clerk,
            "/admin/autocomplete/",
            {
                "app_label": "blacklists",
                "model_name": "listentry",
                "field_name": "subject",
                "term": "恒信",
            },
        ),
        ("sanctions, first page (CAAC)", caac, "/admin/sanctions/sanction/", None),
        ("sanction page (CAAC)", caac, f"/admin/sanctions/sanction/{sanction.pk}/change/", None),
        ("to enforce, first page (CAAC)", caac, "/admin/sanctions/to-enforce/", None),
        ("home with work queues (CAAC)", caac, "/admin/", None),
        ("objections", reviewer, "/admin/blacklists/objection/", None),
    ]
    results = []
    print(f"[admin] {Sanction.objects.count()} sanctions, {ListEntry.objects.count()} entries")
    for title, client, url, params in pages:
        results.append(report(title, measure(title, get(client, url, params), repeat=15), floor))
    slowest = max(results, key=lambda r: r["actual_p95_ms"])
    print(f"[admin] slowest p95: {slowest['title']} {slowest['actual_p95_ms']} ms")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "admin_pages.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
