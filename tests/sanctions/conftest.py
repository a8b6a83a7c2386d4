"""Helpers for the sanctions tests: entries moved through due process, a drained outbox,
and a real Celery worker process against real Redis."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from blacklists import services as lists
from sanctions import services
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


def draft(definition, subject, clerk, *, tier="general", months=6, number=None):
    return lists.list_entry_create(
        actor=clerk,
        definition=definition,
        subject=subject,
        ground=definition.grounds.order_by("code").first(),
        tier=definition.tiers.get(tier=tier),
        duration_months=months,
        decision_number=number or f"（2026）执{uuid.uuid4().hex[:8]}号",
        decision_date=datetime.date(2026, 1, 5),
        decision_issuer="杭州市中级人民法院",
        facts="有履行能力而拒不履行生效法律文书确定义务。",
    )


def publish(definition, subject, clerk, reviewer, **kw):
    """Draft → submitted → approved → notified → published (window already lapsed)."""
    entry = draft(definition, subject, clerk, **kw)
    lists.list_entry_submit(actor=clerk, entry=entry)
    lists.list_entry_approve(actor=reviewer, entry=entry)
    lists.list_entry_notify(actor=clerk, entry=entry, via="electronic", reference="N-1")
    later = timezone.now() + datetime.timedelta(days=definition.objection_window_days, minutes=1)
    return lists.list_entry_publish(actor=clerk, entry=entry, now=later)


def drain() -> int:
    """Apply every pending outbox event in this process (what the sweep task does)."""
    n = 0
    while batch := services.pending_outbox_events(500):
        for event_id in batch:
            services.outbox_event_process(event_id=event_id)
        n += len(batch)
    return n


@pytest.fixture
def scene(court, caac, railway, customs, alice, bob, court_list):
    """A court blacklist honoured by a memorandum with three measures: CAAC no-fly on the
    subject, railway no-ride on the subject, and an exit ban on the legal representative."""
    mou = f.memorandum(
        [court_list],
        [court, caac, railway],
        [
            {"code": "M01", "text": "限制乘坐民用航空器", "agency": caac},
            {"code": "M02", "text": "限制乘坐高铁", "agency": railway, "mandatory": False},
            {
                "code": "M03",
                "text": "限制法定代表人出境",
                "agency": caac,
                "targets": "legal_representative",
                "target_basis": "《民事诉讼法》第二百六十六条",
            },
        ],
    )
    return {"mou": mou, "list": court_list, "clerk": alice, "reviewer": bob}


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery worker` process on the test database and real Redis."""
    from scs.celery import app

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "scs.settings",
        # Small batches, so that a worker killed "mid-batch" has work left to lose.
        "SANCTIONS_OUTBOX_BATCH": "3",
    }
    app.control.purge()
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log_path = ROOT / "var" / f"{name}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "scs",
            "worker",
            "--pool=solo",
            "-n",
            name,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited: {log_path.read_text()[-2000:]}")
        if app.control.ping(destination=[name], timeout=0.5):
            break
    else:
        proc.kill()
        raise RuntimeError(f"worker did not answer: {log_path.read_text()[-2000:]}")
    proc.log_path = log_path
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
