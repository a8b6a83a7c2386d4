"""Load (issue 10, make reliability): portal search and the agency feed under a real gunicorn
(2 workers, production settings with the per-client portal limits lifted, as `make bench`
does: every locust user shares one loopback address), driven by locust headless on loopback
with LOAD_USERS users (default 8) for LOAD_SECONDS (default 30, at most 60; locust stops by
itself). Prints requests, rate and p95; passes only with zero errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.reliability.test_database_faults import ROOT, gunicorn

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

WEB_PORT = 8160
USERS = int(os.environ.get("LOAD_USERS", "8"))
SECONDS = min(int(os.environ.get("LOAD_SECONDS", "30")), 60)


def test_portal_search_and_agency_feed_under_load(record_property, caac):
    from knox.models import AuthToken

    from tests import factories as f

    names = ["恒信科技有限公司", "華夏建設集團", "东方贸易有限公司", "长江物流股份公司"]
    subjects = [f.subject(name=f"{names[i % 4]}{i}分公司") for i in range(200)]
    assert len(subjects) == 200
    _instance, token = AuthToken.objects.create(user=f.user("load-caac", caac, is_system=True))
    data = ROOT / "var" / "load-data.json"
    data.parent.mkdir(exist_ok=True)
    data.write_text(
        json.dumps(
            {"queries": ["恒信", "华夏建设", "東方貿易", "长江物流", "分公司"], "token": token}
        ),
        encoding="utf-8",
    )
    web = gunicorn(
        int(connection.settings_dict["PORT"] or 5432),
        "gunicorn-load.log",
        port=WEB_PORT,
        settings="benchmarks.settings",
    )
    prefix = ROOT / "var" / "load"
    try:
        _wait_up()
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
                str(USERS),
                "-r",
                str(USERS),
                "--run-time",
                f"{SECONDS}s",
                "--stop-timeout",
                "5",
                "--csv",
                str(prefix),
                "--only-summary",
            ],
            cwd=ROOT,
            env={**os.environ, "LOAD_DATA_FILE": str(data)},
            check=False,
            timeout=SECONDS + 30,
            capture_output=True,
        )
        took = time.monotonic() - started
    finally:
        web.terminate()
        web.wait(timeout=20)
    rows = {r["Name"]: r for r in csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8"))}
    total = rows["Aggregated"]
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    parts = ", ".join(
        f"{name} {float(rows[name]['Requests/s']):.0f}/s p95 {rows[name]['95%']} ms"
        for name in ("search", "feed")
        if name in rows
    )
    record_property(
        "figure",
        f"{USERS} users {SECONDS} s: {float(total['Requests/s']):.0f} req/s, "
        f"p95 {total['95%']} ms ({parts}); {failures} errors",
    )
    record_property("attempts", requests)
    record_property("failures", failures)
    assert took < SECONDS + 30
    assert requests > 0
    assert failures == 0


def _wait_up(limit: float = 60) -> None:
    import urllib.error
    import urllib.request

    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/", timeout=5):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError("gunicorn did not answer")
