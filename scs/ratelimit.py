"""Rate limits that count (issue 10): one fixed-window counter for API throttles and portal
limits alike.

`hit(key, limit, window)` increments the window's counter with Redis INCR and sets its expiry
in the same MULTI/EXEC transaction, so concurrent requests on any number of processes each
get a distinct count: exactly `limit` pass per window (a read-then-write history, as DRF's
cache throttle keeps, lets concurrent requests read the same count and pass together).
If Redis is unreachable the count moves to a local in-process counter (per process, so the
limit holds per worker) instead of switching limits off.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)

_lock = threading.Lock()
_local: dict[str, tuple[int, int]] = {}  # key -> (window number, count)
_LOCAL_MAX = 50_000


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int
    limit: int
    reset_in: int  # seconds until the window ends
    shared: bool  # counted in Redis (True) or only in this process (False)


def _window(window: int) -> tuple[int, int]:
    now = time.time()
    number = int(now // window)
    return number, max(1, int((number + 1) * window - now))


def _redis_incr(key: str, window: int) -> int:
    backend = cache._cache  # Django's RedisCache client wrapper
    name = cache.make_key(key)
    client = backend.get_client(name, write=True)
    pipe = client.pipeline(transaction=True)
    pipe.incr(name)
    pipe.expire(name, window + 5, nx=True)
    count, _expiry_set = pipe.execute()
    return int(count)


def _local_incr(key: str, number: int) -> int:
    with _lock:
        seen = _local.get(key)
        count = seen[1] + 1 if seen and seen[0] == number else 1
        if len(_local) >= _LOCAL_MAX:
            _local.clear()
        _local[key] = (number, count)
        return count


def hit(key: str, limit: int, window: int) -> Hit:
    """Count one request against `key` (limit per `window` seconds) and say if it may pass."""
    number, reset_in = _window(window)
    bucket = f"rl:{key}:{number}"
    try:
        count = _redis_incr(bucket, window)
        shared = True
    except Exception:  # Redis down or slow: keep limiting, in this process
        log.warning("rate limit store unavailable; counting %s locally", key)
        count = _local_incr(bucket, number)
        shared = False
    return Hit(count <= limit, count, limit, reset_in, shared)


# Own counter, then (only if the own limit passed) the shared cap: one round trip instead of
# two, with hit()'s semantics (a caller over its own limit never spends the shared cap).
_PAIR_SCRIPT = """
local own = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
if own > tonumber(ARGV[2]) then return {own, 0} end
local all = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3], 'NX')
return {own, all}
"""


def hit_pair(key: str, limit: int, window: int, cap_key: str, cap: int, cap_window: int):
    """hit(key, limit, window), then, if allowed, hit(cap_key, cap, cap_window), in one Redis
    round trip: (own Hit, cap Hit or None when the own limit refused). Falls back to hit()
    (in-process counting) when Redis is unavailable."""
    number, reset_in = _window(window)
    cap_number, cap_reset_in = _window(cap_window)
    bucket, cap_bucket = f"rl:{key}:{number}", f"rl:{cap_key}:{cap_number}"
    try:
        name, cap_name = cache.make_key(bucket), cache.make_key(cap_bucket)
        client = cache._cache.get_client(name, write=True)
        own, overall = client.eval(
            _PAIR_SCRIPT, 2, name, cap_name, window + 5, limit, cap_window + 5
        )
    except Exception:  # Redis down or slow: keep limiting, in this process
        own_hit = hit(key, limit, window)
        return own_hit, (hit(cap_key, cap, cap_window) if own_hit.allowed else None)
    own_hit = Hit(int(own) <= limit, int(own), limit, reset_in, True)
    if not own_hit.allowed:
        return own_hit, None
    return own_hit, Hit(int(overall) <= cap, int(overall), cap, cap_reset_in, True)


def peek(key: str, window: int) -> int:
    """The current window's count for `key` without counting (0 when nothing is known)."""
    number, _reset = _window(window)
    bucket = f"rl:{key}:{number}"
    try:
        value = cache._cache.get_client(cache.make_key(bucket)).get(cache.make_key(bucket))
        if value is not None:
            return int(value)
    except Exception:
        log.warning("rate limit store unavailable; reading %s locally", key)
    with _lock:
        seen = _local.get(bucket)
    return seen[1] if seen and seen[0] == number else 0


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/min' -> (120, 60); units s, min, h, d (DRF's notation)."""
    num, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(num), seconds
