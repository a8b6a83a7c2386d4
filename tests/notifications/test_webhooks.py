"""Webhooks against a receiver on 127.0.0.1: signature, retries with backoff, every attempt
recorded, pause after failing, replay from a cursor, SSRF refusal, and a killed worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from notifications import services
from notifications.models import AgencyNotice, DeliveryAttempt, WebhookDelivery, WebhookEvent
from tests import factories as f
from tests.sanctions.conftest import drain, publish

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-for-tests-0123456789"


def register(api, url, kinds=("monitoring",)):
    r = api.post("/api/v1/webhooks/", {"url": url, "secret": SECRET, "event_kinds": list(kinds)})
    assert r.status_code == 201, r.json()
    assert "secret" not in r.json()
    return r.json()["id"]


@pytest.mark.django_db
def test_refuses_non_http_and_private_targets_unless_allowed(customs_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for url, kinds in (
        ("ftp://example.com/hook", ["monitoring"]),
        ("file:///etc/passwd", ["monitoring"]),
        ("http://127.0.0.1:8000/hook", ["monitoring"]),
        ("http://10.1.2.3/hook", ["monitoring"]),
        ("http://[::1]/hook", ["monitoring"]),
        ("http://169.254.169.254/latest/meta-data", ["monitoring"]),
        ("http://localhost/hook", ["monitoring"]),
        ("https://user:pw@example.com/hook", ["monitoring"]),
    ):
        r = customs_api.post(
            "/api/v1/webhooks/", {"url": url, "secret": SECRET, "event_kinds": kinds}
        )
        assert r.status_code == 400 and "url" in r.json()["errors"], url
    r = customs_api.post(
        "/api/v1/webhooks/",
        {"url": "https://8.8.8.8/hook", "secret": "short", "event_kinds": ["gossip"]},
    )
    assert r.status_code == 400 and {"secret", "event_kinds"} <= {
        k.split(".")[0] for k in r.json()["errors"]
    }
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert register(customs_api, "http://127.0.0.1:9/hook")


@pytest.mark.django_db
def test_ping_is_signed_and_delivered_once(customs_api, receiver):
    hook = register(customs_api, receiver.url)
    r = customs_api.post(f"/api/v1/webhooks/{hook}/ping/")
    assert r.status_code == 202
    call_command("deliver_webhooks", "--once")
    call_command("deliver_webhooks", "--once")
    (req,) = receiver.requests
    body = req["body"]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert req["headers"]["X-Signature-SHA256"] == expected
    assert abs(int(req["headers"]["X-Webhook-Timestamp"]) - time.time()) < 60
    payload = json.loads(body)
    assert payload["id"] == r.json()["event_id"] == req["headers"]["X-Webhook-Id"]
    assert payload["kind"] == "ping"
    deliveries = customs_api.get(f"/api/v1/webhooks/{hook}/deliveries/").json()["deliveries"]
    assert [(d["status"], len(d["attempts"])) for d in deliveries] == [("delivered", 1)]
    assert deliveries[0]["attempts"][0]["response_code"] == 200


@pytest.mark.django_db
def test_fails_twice_then_succeeds_then_stops(scene, customs_api, company, receiver):
    hook = register(customs_api, receiver.url)
    customs_api.post(
        "/api/v1/monitoring-sets/", {"name": "投标人", "identifiers": [company.identifier]}
    )
    receiver.script = [500, 503]
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    services.changes_collect_all()
    for _ in range(5):
        services.deliver_due()
    assert len(receiver.requests) == 3
    ids = {json.loads(r["body"])["id"] for r in receiver.requests}
    assert len(ids) == 1  # the same event id every time
    (delivery,) = WebhookDelivery.objects.filter(endpoint_id=hook)
    assert delivery.status == "delivered"
    codes = list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list("response_code", "ok")
    )
    assert codes == [(500, False), (503, False), (200, True)]
    body = json.loads(receiver.requests[-1]["body"])
    assert body["kind"] == "monitoring.entry_gained"
    assert body["data"]["subject"] == company.identifier
    # Nothing more: delivered deliveries are never sent again (unless replayed).
    services.deliver_due()
    assert len(receiver.requests) == 3


@pytest.mark.django_db
def test_backoff_is_exponential_and_gives_up_after_the_retry_window(
    customs_api, receiver, settings
):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    hook = register(customs_api, receiver.url)
    customs_api.post(f"/api/v1/webhooks/{hook}/ping/")
    receiver.script = [500] * 10
    services.deliver_due()
    delivery = WebhookDelivery.objects.get(endpoint_id=hook)
    first_wait = (delivery.next_attempt_at - delivery.first_attempt_at).total_seconds()
    assert 29 <= first_wait <= 31
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    services.deliver_due()
    delivery.refresh_from_db()
    second_wait = (delivery.next_attempt_at - delivery.first_attempt_at).total_seconds()
    assert second_wait >= 59  # 30 s, then 60 s
    assert services.backoff(12).total_seconds() == settings.WEBHOOK_BACKOFF_MAX_SECONDS
    settings.WEBHOOK_RETRY_FOR_SECONDS = 0
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3


@pytest.mark.django_db
def test_endpoint_failing_for_the_window_is_paused_and_its_admin_told(
    customs, customs_api, receiver, settings, mailoutbox, django_capture_on_commit_callbacks
):
    admin = f.user("customs-admin", customs, "admin", email="admin@customs.example")
    assert admin.role == "admin"
    settings.WEBHOOK_PAUSE_AFTER_SECONDS = 0
    hook = register(customs_api, receiver.url)
    receiver.script = [500] * 10
    customs_api.post(f"/api/v1/webhooks/{hook}/ping/")
    customs_api.post(f"/api/v1/webhooks/{hook}/ping/")
    with django_capture_on_commit_callbacks(execute=True):
        services.deliver_due()
    state = customs_api.get(f"/api/v1/webhooks/{hook}/").json()
    assert state["paused_at"] and state["failing_since"]
    assert AgencyNotice.objects.filter(agency=customs).count() == 1
    assert [m.to for m in mailoutbox] == [["admin@customs.example"]]
    # Paused: nothing is attempted; resuming sends what is pending.
    sent = len(receiver.requests)
    services.deliver_due()
    assert len(receiver.requests) == sent
    receiver.script = []
    customs_api.post(f"/api/v1/webhooks/{hook}/resume/")
    services.deliver_due()
    assert WebhookDelivery.objects.filter(endpoint_id=hook, status="delivered").exists()


@pytest.mark.django_db
def test_replay_from_a_cursor_resends_the_same_event_ids(customs_api, receiver, caac_api):
    hook = register(customs_api, receiver.url)
    for _ in range(3):
        customs_api.post(f"/api/v1/webhooks/{hook}/ping/")
    services.deliver_due()
    deliveries = customs_api.get(f"/api/v1/webhooks/{hook}/deliveries/").json()["deliveries"]
    assert len(deliveries) == 3
    r = customs_api.post(f"/api/v1/webhooks/{hook}/replay/", {"after": deliveries[0]["cursor"]})
    assert r.json() == {"queued": 2}
    services.deliver_due()
    replayed = [json.loads(x["body"])["id"] for x in receiver.requests[3:]]
    assert replayed == [d["event_id"] for d in deliveries[1:]]
    # Another agency sees none of it.
    assert caac_api.get(f"/api/v1/webhooks/{hook}/deliveries/").status_code == 404
    assert caac_api.post(f"/api/v1/webhooks/{hook}/replay/", {}).status_code == 404


@pytest.mark.django_db
def test_sanction_events_reach_the_implementing_agency(scene, caac_api, company, receiver):
    register(caac_api, receiver.url, kinds=("sanctions",))
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    services.changes_collect_all()
    services.changes_collect_all()
    services.deliver_due()
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    # CAAC implements M01 only (M03 targets a legal representative the company lacks).
    assert [(b["kind"], b["data"]["measure"]) for b in bodies] == [("sanction.imposed", "M01")]
    assert WebhookEvent.objects.count() == 1


# Committed data for the subprocess; serialized_rollback leaves the database as later
# serialized tests (the browser test) expect it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killed_worker_redelivers_the_same_event(customs, receiver, settings):
    """A worker killed while posting leaves its lease to lapse; the next run sends the same
    event id again and records the delivery once."""
    from notifications.models import WebhookEndpoint

    actor = f.user("customs-system", customs, "clerk", is_system=True)
    endpoint = services.webhook_create(
        actor=actor, url=receiver.url, secret=SECRET, event_kinds=["monitoring"]
    )
    event = services.webhook_ping(actor=actor, endpoint=endpoint)
    receiver.script = [("sleep", 30, 200)]  # the first request hangs
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": django_settings.REDIS_URL,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_LEASE_SECONDS": "2",
        "DJANGO_SETTINGS_MODULE": "scs.settings",
    }
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "manage.py", "deliver_webhooks", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    assert receiver.requests, proc.communicate(timeout=5)[0]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending" and delivery.attempts == 0

    settings.WEBHOOK_LEASE_SECONDS = 2
    time.sleep(2.5)  # the dead worker's lease lapses
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    ids = [json.loads(r["body"])["id"] for r in receiver.requests]
    assert ids == [str(event.event_id)] * 2
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None
