"""A fixed-window rate limit per client address, counted in the shared Redis cache so every
worker process sees the same count. Limits come from settings.PORTAL_RATE_LIMITS (optional)."""

from __future__ import annotations

import functools
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

log = logging.getLogger(__name__)

# scope: (requests, window in seconds)
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "search": (120, 60),
    "report": (20, 3600),
    "submit": (10, 3600),
    "verify": (30, 60),
    "track": (60, 60),
}


def limit_for(scope: str) -> tuple[int, int]:
    return getattr(settings, "PORTAL_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def client_address(request) -> str:
    """REMOTE_ADDR: behind a proxy, the proxy must set it (e.g. gunicorn --forwarded-allow-ips);
    we never trust a client-supplied X-Forwarded-For here."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(request, scope: str) -> bool:
    limit, window = limit_for(scope)
    bucket = int(time.time()) // window
    key = f"publicity:rl:{scope}:{client_address(request)}:{bucket}"
    try:
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key)
    except Exception:  # cache down: serve rather than lock the public out
        log.warning("rate limit cache unavailable; allowing %s", scope)
        return True
    return count <= limit


def ratelimited(scope: str, methods: tuple[str, ...] = ("GET", "POST")):
    """Answer 429 (with a page saying when to retry) once the scope's limit is reached."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not allow(request, scope):
                _limit, window = limit_for(scope)
                response = render(
                    request, "publicity/too_many.html", {"window": window}, status=429
                )
                response["Retry-After"] = str(window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
