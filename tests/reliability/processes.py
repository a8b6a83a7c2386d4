"""Real Celery processes for the fault suites (tests/reliability/test_failures.py): workers
and a beat on the test database and the suite's own Redis, each in its own process group so
that `kill -9` reaches the pool's children too (what an OOM kill or a pulled plug does).

Loopback only. Logs go to var/<name>.log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict:
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "scs.settings",
        **extra,
    }


class Proc:
    """One celery process (worker or beat) in a process group of its own."""

    def __init__(self, args: list[str], name: str, env: dict):
        self.name = name
        self.log_path = ROOT / "var" / f"{name}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = self.log_path.open("w")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "scs", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill9(self) -> None:
        """SIGKILL the whole group (the main process and its pool children), no warning."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._log.close()

    def tail(self, n: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]


def start_worker(*, concurrency: int = 2, batch: int | None = None, wait: bool = True) -> Proc:
    """A prefork worker (as scripts/run.sh starts it), answering a ping before returning."""
    from scs.celery import app

    name = f"rel-{uuid.uuid4().hex[:8]}@localhost"
    extra = {"SANCTIONS_OUTBOX_BATCH": str(batch)} if batch else {}
    proc = Proc(
        [
            "worker",
            f"--concurrency={concurrency}",
            "-n",
            name,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        name.split("@")[0],
        _env(**extra),
    )
    if not wait:
        return proc
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"worker exited: {proc.tail()}")
            try:
                if app.control.ping(destination=[name], timeout=0.5):
                    return proc
            except Exception:  # noqa: BLE001 - a pooled connection to a Redis since restarted
                time.sleep(0.5)
        raise RuntimeError(f"worker did not answer: {proc.tail()}")
    except BaseException:
        proc.kill9()  # never leave a worker behind to consume the next test's events
        raise


def start_beat() -> Proc:
    """The real beat with the project's schedule (settings.CELERY_BEAT_SCHEDULE)."""
    name = f"rel-beat-{uuid.uuid4().hex[:8]}"
    schedule = ROOT / "var" / f"{name}-schedule"
    return Proc(
        ["beat", "--loglevel=INFO", f"--schedule={schedule}"],
        name,
        _env(),
    )
