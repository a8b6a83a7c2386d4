"""Portal limits per client address, counted atomically by scs.ratelimit (Redis INCR with
expiry; an in-process count while Redis is down), plus a global cap per scope over all
clients. Limits come from settings.PORTAL_RATE_LIMITS (optional). The client address is
scs.security.client_ip: REMOTE_ADDR, or the forwarded address only behind a configured
trusted proxy (settings.TRUSTED_PROXIES), so one client cannot pose as many, and a proxy's
clients do not share one bucket."""

from __future__ import annotations

import functools

from django.conf import settings
from django.shortcuts import render

from scs import ratelimit
from scs.security import client_ip

# scope: (requests, window in seconds) per client
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "search": (120, 60),
    "report": (20, 3600),
    "submit": (10, 3600),
    "verify": (30, 60),
    "track": (60, 60),
    # /my/ sign-in and activation, per address (accounts also lock after failures).
    "signin": (30, 600),
}
# scope: (requests, window in seconds) over all clients together
DEFAULT_GLOBAL_LIMITS: dict[str, tuple[int, int]] = {
    "search": (6000, 60),
    "report": (2000, 3600),
    "submit": (1000, 3600),
    "verify": (600, 60),
    "track": (3000, 60),
    "signin": (1500, 600),
}


def limit_for(scope: str) -> tuple[int, int]:
    return getattr(settings, "PORTAL_RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope])


def global_limit_for(scope: str) -> tuple[int, int]:
    configured = getattr(settings, "PORTAL_GLOBAL_RATE_LIMITS", {})
    return configured.get(scope, DEFAULT_GLOBAL_LIMITS[scope])


def client_address(request) -> str:
    return client_ip(request)


def check(request, scope: str) -> ratelimit.Hit:
    """Count this request; the refusing Hit (own limit first, then the global cap)."""
    limit, window = limit_for(scope)
    cap, cap_window = global_limit_for(scope)
    own, overall = ratelimit.hit_pair(
        f"portal:{scope}:{client_address(request)}",
        limit,
        window,
        f"portal:{scope}:*",
        cap,
        cap_window,
    )
    if overall is None:  # refused by the own limit; the shared cap was not counted
        return own
    return overall if not overall.allowed else own


def allow(request, scope: str) -> bool:
    return check(request, scope).allowed


def ratelimited(scope: str, methods: tuple[str, ...] = ("GET", "POST")):
    """Answer 429 (with a page saying when to retry) once the scope's limit is reached."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                result = check(request, scope)
                if not result.allowed:
                    response = render(
                        request, "publicity/too_many.html", {"window": result.reset_in}, status=429
                    )
                    response["Retry-After"] = str(result.reset_in)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
