"""Database faults under a real gunicorn (make reliability), loopback only, never touching
the shared PostgreSQL server: gunicorn reaches the test database through a TCP proxy this
test owns (port 65xx), which it stops to take "PostgreSQL" away; a black-hole listener
stands in for a server that accepts connections and never answers.

- Proxy stopped for DB_OUTAGE_SECONDS (default 30): every request answers 503 (never 500,
  never a hang), and requests succeed again after the proxy returns, with no restart.
- Black hole: every request answers 503 within the connect timeout, and other requests are
  not starved (at most one worker blocked at a time per request in flight).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = int(os.environ.get("DB_OUTAGE_SECONDS", "30"))
PROXY_PORT = 6531
HOLE_PORT = 6532
WEB_PORT = 8131


class TcpProxy:
    """Forwards 127.0.0.1:PROXY_PORT to the real database; stop() drops every connection."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.sock = None
        self.pairs: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", PROXY_PORT))
        self.sock.listen(64)
        threading.Thread(target=self._accept, args=(self.sock,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for s in self.pairs:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.pairs.clear()


class BlackHole:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", HOLE_PORT))
        self.sock.listen(64)
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.held:
            c.close()


# Production settings refuse to start without these: a key of this run, never a committed one.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "127.0.0.1",
    "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL") or "https://credit.example.org",
}


def collected_static() -> None:
    """DEBUG=false serves hashed static files from a manifest: collect them once."""
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **PRODUCTION_ENV},
            check=True,
        )


def gunicorn(db_port: int, log_name: str, *, port: int = WEB_PORT, settings: str = "scs.settings"):
    collected_static()
    db = connection.settings_dict
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@127.0.0.1:{db_port}/{db['NAME']}",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONNECT_TIMEOUT": "3",
        "DJANGO_SETTINGS_MODULE": settings,
    }
    log = (ROOT / "var").joinpath(log_name)
    log.parent.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "scs.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return proc


def get(path: str, timeout: float = 20, token: str = "") -> tuple[int, float]:
    started = time.monotonic()
    headers = {"Authorization": f"Token {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{WEB_PORT}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        status = 0
    return status, time.monotonic() - started


def wait_ok(path: str, limit: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if get(path, timeout=5)[0] == 200:
            return time.monotonic() - started
        time.sleep(0.3)
    raise AssertionError(f"{path} never answered 200")


def test_postgresql_stopped_under_gunicorn_gives_only_503_then_recovers(record_property):
    from knox.models import AuthToken

    from tests import factories as f

    agency = f.agency("民航局")
    _instance, token = AuthToken.objects.create(user=f.user("api-caac", agency, is_system=True))
    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    proxy.start()
    web = gunicorn(PROXY_PORT, "gunicorn-db-outage.log")
    try:
        wait_ok("/lists/", 60)
        assert get("/api/v1/lists/", token=token)[0] == 200
        proxy.stop()
        statuses: list[int] = []
        slowest = 0.0
        down_until = time.monotonic() + OUTAGE
        while time.monotonic() < down_until:
            # Pages and API calls that need the database (cached /stats/ may still answer).
            for path, key in (("/lists/", ""), ("/api/v1/lists/", token), ("/search/?q=恒信", "")):
                status, took = get(urllib.parse.quote(path, safe="/?="), token=key)
                statuses.append(status)
                slowest = max(slowest, took)
            time.sleep(0.2)
        proxy.start()
        recovered = wait_ok("/lists/", 30)
        assert get("/api/v1/lists/", token=token)[0] == 200
    finally:
        web.terminate()
        web.wait(timeout=20)
        proxy.stop()
    others = [s for s in statuses if s != 503]
    record_property(
        "figure",
        f"{len(statuses)} requests in {OUTAGE} s down: {statuses.count(503)} x 503, "
        f"slowest {slowest:.1f} s; 200 again {recovered:.1f} s after, no restart",
    )
    record_property("attempts", len(statuses))
    record_property("failures", len(others))
    assert not others, sorted(set(others))


def test_black_holed_database_gives_503_within_the_timeout(record_property):
    hole = BlackHole()
    web = gunicorn(HOLE_PORT, "gunicorn-black-hole.log")
    try:
        # gunicorn is up when it answers at all (a 503 is an answer).
        started = time.monotonic()
        while get("/healthz-none/", timeout=5)[0] == 0 and time.monotonic() - started < 30:
            time.sleep(0.3)
        results: list[tuple[int, float]] = []
        lock = threading.Lock()

        def one():
            outcome = get("/lists/", timeout=20)
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        web.terminate()
        web.wait(timeout=20)
        hole.close()
    slowest = max(took for _s, took in results)
    bad = [s for s, _t in results if s != 503]
    record_property(
        "figure",
        f"{len(results)} concurrent requests, all 503: {not bad}; slowest {slowest:.1f} s "
        "(connect timeout 3 s, 2 workers)",
    )
    record_property("attempts", len(results))
    record_property("failures", len(bad) + (slowest > 3 * 3 + 2))
    assert not bad
    # 6 requests over 2 workers: at most three rounds of the 3 s connect timeout.
    assert slowest < 3 * 3 + 2
