"""Failure injection (make reliability): a worker killed mid-batch and a Redis outage lose
and duplicate no sanction change. Runs against its own Redis server on port 6390 so that
stopping it disturbs nothing else."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from sanctions import services
from sanctions.models import ConsumedOutboxEvent, Sanction, SanctionEvent
from tests import factories as f
from tests.sanctions.conftest import publish, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

PORT = 6390


# One server for the module: a server restarted between tests would leave this process's
# pooled broker connections (app.control) pointing at the old one.
@pytest.fixture(scope="module")
def own_redis():
    if f":{PORT}/" not in settings.CELERY_BROKER_URL:
        pytest.skip(f"run with REDIS_URL=redis://127.0.0.1:{PORT}/0 (make reliability)")

    class Server:
        proc = None

        def start(self):
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(PORT),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
            )
            assert wait_for(self.ready, timeout=10)

        def ready(self):
            out = subprocess.run(
                ["redis-cli", "-p", str(PORT), "ping"], capture_output=True, text=True
            )
            return "PONG" in out.stdout

        def stop(self):
            self.proc.terminate()
            self.proc.wait(timeout=10)
            assert not self.ready()

    server = Server()
    server.start()
    yield server
    if server.proc.poll() is None:
        server.stop()


def assert_exactly_once(expected_sanctions: int) -> None:
    assert Sanction.objects.count() == expected_sanctions
    per_sanction = SanctionEvent.objects.values("sanction", "kind").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in per_sanction), list(per_sanction)
    assert services.reconcile(fix=False).total == 0
    assert services.pending_outbox_events() == []


KILL_ENTRIES = int(os.environ.get("RELIABILITY_KILL_ENTRIES", "10000"))
CONVERGE_LIMIT = float(os.environ.get("RELIABILITY_CONVERGE_SECONDS", "900"))


def seed_published(definition, clerk, n: int) -> list[int]:
    """n published entries of n new enterprises, with the effect-started outbox events their
    publication writes, inserted in bulk in one transaction (a fixture at scale: the due-process
    path itself is the 40-entry test's and the lists tests' business). Returns the event ids."""
    from registry.models import Subject

    division = f.division()
    subjects = []
    for i in range(n):
        s = Subject(
            kind="enterprise",
            identifier=f.uscc(7_000_000 + i),
            name=f"故障测试{i}號貿易有限公司",
            division=division,
        )
        s.fill_search_keys()
        subjects.append(s)
    ground = definition.grounds.order_by("code").first()
    tier = definition.tiers.get(tier="general")
    with transaction.atomic():
        created = Subject.objects.bulk_create(subjects, batch_size=2000)
        with connection.cursor() as cur:
            cur.execute(
                """
                WITH e AS (
                  INSERT INTO blacklists_listentry
                    (list_id, subject_id, ground_id, tier_id, duration_months, state,
                     decision_number, decision_date, decision_issuer, facts, created_by_id,
                     created_at, notified_via, notice_reference, published_at, starts_on,
                     ends_on, publicity_ends_on, end_reason, end_note, updated_at)
                  SELECT %(list)s, s, %(ground)s, %(tier)s, 6, 'published',
                         '（2026）执故' || s || '号', %(today)s, '杭州市中级人民法院',
                         '有履行能力而拒不履行', %(clerk)s, now(), 'electronic', 'N-1', now(),
                         %(today)s, %(today)s + 183, %(today)s + 183, '', '', now()
                  FROM unnest(%(subjects)s::bigint[]) AS s ORDER BY s
                  RETURNING id)
                INSERT INTO blacklists_outboxevent (entry_id, kind, occurred_at)
                SELECT id, 'effect_started', now() FROM e ORDER BY id
                RETURNING id
                """,
                {
                    "list": definition.pk,
                    "ground": ground.pk,
                    "tier": tier.pk,
                    "today": timezone.localdate(),
                    "clerk": clerk.pk,
                    "subjects": [s.pk for s in created],
                },
            )
            return sorted(row[0] for row in cur.fetchall())


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(own_redis, scene, request):
    subjects = [f.subject() for _ in range(40)]
    worker = request.getfixturevalue("celery_worker_process")
    for subject in subjects:
        publish(scene["list"], subject, scene["clerk"], scene["reviewer"])
    # Let the worker get part-way, then kill it without warning.
    assert wait_for(lambda: ConsumedOutboxEvent.objects.count() >= 5, timeout=60)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    done = ConsumedOutboxEvent.objects.count()
    assert done < 40, "the worker finished before it was killed; nothing was tested"
    # The sweep (what beat runs every 30 s) finishes the job, once.
    services_sweep()
    assert_exactly_once(expected_sanctions=40 * 2)


def test_worker_killed_at_scale_converges_by_itself(own_redis, scene, record_property):
    """RELIABILITY_KILL_ENTRIES (default 10 000) published entries, two measures each: kill -9
    every worker process (prefork, two children) when about a third is applied, start new
    ones; beat (the real one, as deployed) runs throughout. Converged = no pending outbox
    event, reconciliation against the expected set (propagation.expected_sql) finds nothing
    missing and nothing extra, and every sanction has exactly one feed event."""
    from scs.celery import app
    from scs.messaging import send_now
    from tests.reliability.processes import start_beat, start_worker

    n = KILL_ENTRIES
    events = seed_published(scene["list"], scene["clerk"], n)
    assert len(events) == n
    app.control.purge()
    procs = []
    try:
        procs += [start_worker(concurrency=2), start_beat()]
        started = time.monotonic()
        # What the publishing transaction sends after commit: one nudge naming its first event.
        assert send_now("sanctions.tasks.process_outbox_event", events[0])
        assert wait_for(lambda: ConsumedOutboxEvent.objects.count() >= n // 3, timeout=600)
        procs[0].kill9()
        killed_at = time.monotonic()
        applied = ConsumedOutboxEvent.objects.count()
        assert applied < n, "the workers finished before they were killed; nothing was tested"
        # Nothing half-applied: a claim commits with its sanctions or not at all.
        assert Sanction.objects.count() == applied * 2
        procs[0] = start_worker(concurrency=2)

        def converged() -> bool:
            return not services.pending_outbox_events(1)

        assert wait_for(converged, timeout=CONVERGE_LIMIT, interval=1.0), (
            f"{len(services.pending_outbox_events(100_000))} events still pending; "
            f"worker log: {procs[0].tail()}"
        )
        done = time.monotonic()
    finally:
        for proc in procs:
            proc.stop()
    drift = services.reconcile(fix=False)
    sanctions = Sanction.objects.count()
    feed = SanctionEvent.objects.count()
    doubled = (
        SanctionEvent.objects.values("sanction", "kind").annotate(k=Count("id")).filter(k__gt=1)
    ).count()
    record_property("attempts", n)
    record_property("failures", drift.missing + drift.extra + doubled + abs(feed - sanctions))
    record_property(
        "figure",
        f"{n} entries, killed at {applied}: converged {done - killed_at:.0f} s after the kill "
        f"({done - started:.0f} s in all); {drift.missing} missing, {drift.extra} extra, "
        f"{sanctions} sanctions, {feed} feed events",
    )
    assert (drift.missing, drift.extra) == (0, 0)
    assert sanctions == n * 2 and feed == sanctions and doubled == 0


def services_sweep() -> None:
    from sanctions.tasks import sweep_outbox

    sweep_outbox()


REDIS_OUTAGE = int(os.environ.get("REDIS_OUTAGE_SECONDS", "60"))


def test_redis_outage_delays_but_loses_nothing(own_redis, scene, caac_api, record_property):
    """Redis (broker and cache) stopped for REDIS_OUTAGE_SECONDS (default 60) while a clerk
    keeps publishing and a reviewer keeps granting credit repairs through the services, with
    a worker and the real beat running throughout. Every change commits without waiting on
    the broker and leaves its outbox event; after Redis returns (empty: it keeps no data),
    the same processes converge by themselves: no pending event, no drift against the
    expected set, one feed event per sanction and kind. No manual step."""
    from blacklists import services as lists
    from blacklists.models import ListEntry, OutboxEvent
    from tests.reliability.processes import start_beat, start_worker

    procs = []
    try:
        procs += [start_worker(concurrency=2), start_beat()]
        # Entries in force before the outage, old enough to be repaired during it.
        pool = [
            publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"])
            for _ in range(20)
        ]
        assert wait_for(lambda: not services.pending_outbox_events(1), timeout=120)
        ListEntry.objects.filter(pk__in=[e.pk for e in pool]).update(
            starts_on=timezone.localdate() - datetime.timedelta(days=400)
        )
        events_before = OutboxEvent.objects.count()

        own_redis.stop()
        down_at = time.monotonic()
        published = repaired = 0
        slowest = 0.0
        while time.monotonic() - down_at < REDIS_OUTAGE:
            t = time.monotonic()
            entry = publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"])
            assert entry.state == "published"
            published += 1
            if pool:
                entry = pool.pop()
                application = lists.repair_apply(
                    entry=entry,
                    applicant_name=entry.subject.name,
                    contact="a@example.invalid",
                    conditions_met=scene["list"].repair_conditions,
                    statement="已履行全部义务并作出信用承诺",
                )
                lists.repair_decide(
                    actor=scene["reviewer"], application=application, grant=True, reasons="齐备"
                )
                repaired += 1
            slowest = max(slowest, time.monotonic() - t)
            if published % 5 == 0:
                # The API still answers (throttles fall back to a local limiter).
                assert caac_api.get("/api/v1/sanctions/feed/").status_code == 200
            time.sleep(0.5)
        # Every change recorded although nothing could be enqueued.
        recorded = OutboxEvent.objects.count() - events_before
        pending_at_return = len(services.pending_outbox_events(100_000))
        own_redis.start()
        back_at = time.monotonic()
        assert wait_for(
            lambda: (
                not services.pending_outbox_events(1) and services.reconcile(fix=False).total == 0
            ),
            timeout=300,
            interval=1.0,
        ), f"not converged; worker log: {procs[0].tail()}"
        converged = time.monotonic() - back_at
    finally:
        for proc in procs:
            proc.stop()
    changes = published + repaired
    doubled = (
        SanctionEvent.objects.values("sanction", "kind").annotate(k=Count("id")).filter(k__gt=1)
    ).count()
    drift = services.reconcile(fix=False)
    record_property("attempts", changes)
    record_property("failures", abs(recorded - changes) + drift.total + doubled)
    record_property(
        "figure",
        f"{REDIS_OUTAGE} s down: {published} published + {repaired} repaired, {recorded} "
        f"outbox events ({pending_at_return} pending at return), slowest change "
        f"{slowest:.1f} s; converged {converged:.0f} s after Redis returned, drift "
        f"{drift.total}, {doubled} doubled feed events",
    )
    assert recorded == changes
    assert pending_at_return == changes
    assert drift.total == 0 and doubled == 0
    assert Sanction.objects.filter(status="in_force").count() == 2 * (published + 20 - repaired)
