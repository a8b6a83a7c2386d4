"""Guarded cache calls: a Redis outage degrades, it never fails a request (issue 10).

Every project use of the cache goes through these helpers. Each catches the cache's errors,
logs once per call, and answers as a miss; the Redis client is configured to fail fast
(settings.CACHES OPTIONS socket timeouts), so an outage costs milliseconds, not a hang.
`get_or_stale` keeps the last value computed in this process, so a page can be served stale
rather than recomputed on every request while Redis is down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

log = logging.getLogger(__name__)

_MISSING = object()
# key -> (expires at, value): the last value this process computed or read.
_local: dict[str, tuple[float, Any]] = {}
_LOCAL_MAX = 256


def cache_get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except Exception:  # any backend failure is a miss
        log.warning("cache unavailable (get %s)", key)
        return default


def cache_set(key: str, value: Any, timeout: int) -> bool:
    try:
        cache.set(key, value, timeout)
        return True
    except Exception:
        log.warning("cache unavailable (set %s)", key)
        return False


def _remember(key: str, value: Any, timeout: int) -> None:
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[key] = (time.monotonic() + timeout, value)


def get_or_stale(key: str, compute: Callable[[], Any], timeout: int, *, fresh: bool = False):
    """The cached value; else `compute()` stored for `timeout` seconds. With Redis down: the
    last value this process had for `key` while it is younger than `timeout` (stale but
    bounded), else computed afresh. Never raises a cache error."""
    value = _MISSING if fresh else cache_get(key, _MISSING)
    if value is not _MISSING:
        _remember(key, value, timeout)
        return value
    if not fresh:
        held = _local.get(key)
        if held is not None and held[0] > time.monotonic():
            return held[1]
    value = compute()
    cache_set(key, value, timeout)
    _remember(key, value, timeout)
    return value
