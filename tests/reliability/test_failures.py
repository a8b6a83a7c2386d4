"""Failure injection (make reliability): a worker killed mid-batch and a Redis outage lose
and duplicate no sanction change. Runs against its own Redis server on port 6390 so that
stopping it disturbs nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.conf import settings
from django.db.models import Count

from sanctions import services
from sanctions.models import ConsumedOutboxEvent, Sanction, SanctionEvent
from tests import factories as f
from tests.sanctions.conftest import publish, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

PORT = 6390


@pytest.fixture
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


def services_sweep() -> None:
    from sanctions.tasks import sweep_outbox

    sweep_outbox()


def test_redis_outage_delays_but_loses_nothing(own_redis, scene, caac_api):
    own_redis.stop()
    started = time.monotonic()
    entries = [
        publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"]) for _ in range(10)
    ]
    # Transitions committed although the broker was down, without hanging on it.
    assert all(e.state == "published" for e in entries)
    assert time.monotonic() - started < 60
    # The API still answers (the throttle fails open when its cache is unreachable).
    assert caac_api.get("/api/v1/sanctions/feed/").status_code == 200
    assert len(services.pending_outbox_events()) == 10
    own_redis.start()
    services_sweep()
    assert_exactly_once(expected_sanctions=10 * 2)
