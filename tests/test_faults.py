"""Database and cache faults (issue 10), in process against real servers: a refused database
and a black-holed one answer 503 with Retry-After (JSON for the API, the portal's page for
HTML) and the next request after recovery succeeds without a restart; a Redis outage
degrades stats and pages instead of failing them. The multi-process versions (gunicorn,
PostgreSQL stopped 30 s) are in tests/reliability."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from scs import cache as guarded

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # released again: connections are refused


class BlackHole:
    """Accepts TCP connections and never says a word (a hung database server)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def database_at(transactional_db):
    """Point the default connection at another port for the duration of a block."""
    original = dict(connection.settings_dict)

    def move(port: int, connect_timeout: int | None = None):
        connection.close()
        connection.settings_dict["PORT"] = port
        if connect_timeout is not None:
            options = dict(connection.settings_dict["OPTIONS"])
            options["connect_timeout"] = connect_timeout
            connection.settings_dict["OPTIONS"] = options

    yield move
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)


def test_refused_database_gives_503_then_recovers_without_restart(database_at, caac_api):
    client = Client(raise_request_exception=False)
    assert client.get("/lists/").status_code == 200
    real_port = connection.settings_dict["PORT"]
    database_at(closed_port())
    page = client.get("/lists/")
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    assert "暂时无法提供服务" in page.content.decode()  # the portal's page, translated
    caac_api.raise_request_exception = False
    api = caac_api.get("/api/v1/lists/")
    assert api.status_code == 503 and api["Content-Type"] == "application/json"
    assert api.json() == {"detail": "The service is temporarily unavailable; retry later."}
    database_at(real_port)
    assert client.get("/lists/").status_code == 200
    assert caac_api.get("/api/v1/lists/").status_code == 200


def test_black_holed_database_gives_503_within_the_connect_timeout(database_at):
    hole = BlackHole()
    try:
        database_at(hole.port, connect_timeout=2)
        started = time.monotonic()
        response = Client(raise_request_exception=False).get("/lists/")
        elapsed = time.monotonic() - started
    finally:
        hole.close()
    assert response.status_code == 503
    assert elapsed < 5, f"took {elapsed:.1f} s"


def test_statement_timeout_is_a_503_not_a_500(transactional_db, settings):
    """A query cancelled by statement_timeout (what web processes set) is a database
    unavailability, answered 503 like a refused connection."""
    from django.db import OperationalError
    from django.test import RequestFactory

    from scs.views import server_error

    with connection.cursor() as cur:
        cur.execute("SET statement_timeout = 50")
        try:
            cur.execute("SELECT pg_sleep(1)")
        except OperationalError:
            request = RequestFactory().get("/api/v1/lists/")
            response = server_error(request)
        else:  # pragma: no cover
            pytest.fail("statement_timeout did not cancel the query")
        finally:
            connection.close()
    assert response.status_code == 503 and response["Retry-After"]


def test_web_processes_bound_statements():
    import os
    import subprocess
    import sys

    code = (
        "import scs.wsgi; from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['options'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DB_STATEMENT_TIMEOUT_MS"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "-c statement_timeout=5000"


# --- Redis outage ---------------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    guarded._local.clear()
    yield
    guarded._local.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/lists/", "/stats/", "/memoranda/", "/search/?q=恒信"])
def test_portal_pages_work_while_redis_is_down(redis_down, path):
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 200


@pytest.mark.django_db
def test_stats_are_served_stale_then_recomputed_while_redis_is_down(redis_down, monkeypatch):
    from publicity import selectors

    calls = []
    real = selectors._compute_stats

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(selectors, "_compute_stats", counting)
    first = selectors.stats()
    second = selectors.stats()
    assert len(calls) == 1 and second["computed_at"] == first["computed_at"]  # stale copy
    selectors.stats(fresh=True)
    assert len(calls) == 2


def test_guarded_cache_calls_never_raise(redis_down):
    assert guarded.cache_get("k", "default") == "default"
    assert guarded.cache_set("k", 1, 10) is False
    assert guarded.get_or_stale("k2", lambda: 42, 10) == 42
