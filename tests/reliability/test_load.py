"""Load (issue 10, make reliability): the portal's realistic mix (tests/reliability/
locust_load.py: 70 % search, 20 % subject pages, 10 % API with the agency feed and
screening) under a real gunicorn (2 workers, production settings with the per-client portal
limits and the API throttles lifted, as `make bench` does: every locust user shares one
loopback address and one token; cache and throttles on the suite's own Redis, port 6390),
driven by locust headless on loopback.

The offered rate is stepped up (LOAD_STEPS users, default 1,2,4,8,16,24,32,48,64, each pacing
itself at LOAD_USER_RATE = 2 requests/s) for LOAD_STEP_SECONDS each (default 20, at most 60;
locust stops by itself) until a step has an error or a p95 above LOAD_P95_MS (200 ms). Prints
the highest rate held with zero errors and p95 under the bound, and what broke the next step;
passes when at least the first step held. The implementing agency's feed has events (entries
published through the due process and propagated before the run)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from django.db import connection

from tests.reliability.test_database_faults import PRODUCTION_ENV, ROOT, gunicorn
from tests.reliability.test_failures import own_redis  # noqa: F401 - the suite's Redis
from tests.sanctions.conftest import drain, publish

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

WEB_PORT = 8160
STEPS = [int(u) for u in os.environ.get("LOAD_STEPS", "1,2,4,8,16,24,32,48,64").split(",")]
USER_RATE = float(os.environ.get("LOAD_USER_RATE", "2"))
SECONDS = min(int(os.environ.get("LOAD_STEP_SECONDS", "20")), 60)
P95_MS = float(os.environ.get("LOAD_P95_MS", "200"))
# One client, one address, one token on purpose: lift the per-client limits for the run.
LIFTED = {
    "API_RATE": "1000000/min",
    "API_SCREENING_RATE": "1000000/min",
    "API_GLOBAL_RATE": "1000000/min",
    "API_GLOBAL_SCREENING_RATE": "1000000/min",
}


def seed(scene, caac) -> dict:
    """190 companies (simplified and traditional names) and 5 people; 35 companies and the
    people published on the court list and propagated, so that CAAC's feed and screening
    find something."""
    from knox.models import AuthToken

    from publicity.selectors import subject_ref
    from tests import factories as f

    names = ["恒信科技有限公司", "華夏建設集團", "东方贸易有限公司", "长江物流股份公司"]
    companies = [f.subject(name=f"{names[i % 4]}{i}分公司") for i in range(190)]
    people = [f.subject("natural_person", name=f"张{i}") for i in range(5)]
    for subject in companies[:35] + people:
        publish(scene["list"], subject, scene["clerk"], scene["reviewer"])
    assert drain() == 40
    _instance, token = AuthToken.objects.create(user=f.user("load-caac", caac, is_system=True))
    return {
        "queries": ["恒信", "华夏建设", "東方貿易", "长江物流", "分公司", "张1"],
        # A natural person is public only while listed: the published ones.
        "refs": [subject_ref(s) for s in companies + people],
        "identifiers": [s.identifier for s in companies + people],
        "token": token,
    }


def run_step(users: int, data_file, prefix) -> dict:
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "tests/reliability/locust_load.py"),
            "--headless",
            "--host",
            f"http://127.0.0.1:{WEB_PORT}",
            "-u",
            str(users),
            "-r",
            str(users),
            "--run-time",
            f"{SECONDS}s",
            "--stop-timeout",
            "5",
            "--csv",
            str(prefix),
            "--only-summary",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_DATA_FILE": str(data_file), "LOAD_USER_RATE": str(USER_RATE)},
        check=False,
        timeout=SECONDS + 30,
        capture_output=True,
    )
    took = time.monotonic() - started
    assert took < SECONDS + 30, "locust did not stop by itself"
    rows = {r["Name"]: r for r in csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8"))}
    total = rows["Aggregated"]
    return {
        "users": users,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rate": float(total["Requests/s"]),
        "p95": float(total["95%"] or 0),
        "parts": {
            name: (float(row["Requests/s"]), row["95%"])
            for name, row in rows.items()
            if name != "Aggregated"
        },
    }


@pytest.mark.usefixtures("own_redis")
def test_realistic_mix_at_the_highest_rate_held(record_property, scene, caac, monkeypatch):
    import copy

    from publicity import selectors

    # Natural persons' page references are signed: sign them with the server's key.
    signer = copy.copy(selectors._REF_SIGNER)
    signer.key = PRODUCTION_ENV["SECRET_KEY"]
    monkeypatch.setattr(selectors, "_REF_SIGNER", signer)
    data = seed(scene, caac)
    data_file = ROOT / "var" / "load-data.json"
    data_file.parent.mkdir(exist_ok=True)
    data_file.write_text(json.dumps(data), encoding="utf-8")
    for name, value in LIFTED.items():
        monkeypatch.setenv(name, value)
    web = gunicorn(
        int(connection.settings_dict["PORT"] or 5432),
        "gunicorn-load.log",
        port=WEB_PORT,
        settings="benchmarks.settings",
    )
    steps = []
    try:
        _wait_up()
        # The feed the load reads is not empty.
        request = urllib.request.Request(
            f"http://127.0.0.1:{WEB_PORT}/api/v1/sanctions/feed/?limit=100",
            headers={"Authorization": f"Token {data['token']}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert len(json.loads(response.read())["events"]) == 40
        for users in STEPS:
            step = run_step(users, data_file, ROOT / "var" / f"load-{users}")
            steps.append(step)
            print(
                f"[load] {users} users: {step['rate']:.0f} req/s, p95 {step['p95']:.0f} ms, "
                f"{step['failures']} errors of {step['requests']}",
                flush=True,
            )
            if step["failures"] or step["p95"] > P95_MS:
                break
    finally:
        web.terminate()
        web.wait(timeout=20)
    held = [s for s in steps if not s["failures"] and s["p95"] <= P95_MS]
    best = held[-1] if held else None
    broke = steps[-1] if steps and steps[-1] is not best else None
    figure = (
        f"held {best['rate']:.0f} req/s ({best['users']} users) p95 {best['p95']:.0f} ms, 0 errors"
        + " ("
        + ", ".join(f"{n} p95 {p} ms" for n, (_r, p) in best["parts"].items())
        + ")"
        if best
        else "no step held"
    )
    if not best and steps:
        first = steps[0]
        figure += (
            f" (first step, {first['users']} users: {first['rate']:.1f} req/s, p95 "
            f"{first['p95']:.0f} ms, {first['failures']} errors)"
        )
    if broke and best:
        figure += (
            f"; next step {broke['users']} users: {broke['rate']:.0f} req/s p95 "
            f"{broke['p95']:.0f} ms, {broke['failures']} errors"
        )
    elif best:
        figure += "; the last step still held"
    record_property("figure", figure)
    record_property("attempts", sum(s["requests"] for s in steps) or 1)
    record_property("failures", 0 if best else 1)
    assert best is not None, steps


def _wait_up(limit: float = 60) -> None:
    import urllib.error

    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/", timeout=5):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError("gunicorn did not answer")
