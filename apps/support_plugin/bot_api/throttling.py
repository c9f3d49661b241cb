"""Per-key rate limit in Redis (the cache's Redis): a fixed one-minute window counter.

One round trip per request: a server-side script does `INCR counter` and, for the request
that created the counter, `EXPIRE counter 65`. The script is atomic, so any number of
gunicorn workers and hosts share one exact count per key; DRF's SimpleRateThrottle keeps
a list of timestamps with read-modify-write, which lets concurrent requests slip through,
and Django's cache API needs two round trips for an increment. Over the limit: 429 with
`Retry-After` set to the seconds left in the window. If Redis cannot be reached the
request is let through (and logged): the limit protects the ERP from a runaway bot, it
must not take the API down.
"""

from __future__ import annotations

import logging
import math
import time
from functools import cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from .models import ApiKey

log = logging.getLogger("kgc.bot_api.throttle")

WINDOW_SECONDS = 60


def redis_client(url: str) -> redis.Redis:
    """Short timeouts and no retries: when Redis is away the limit is skipped at once
    instead of holding every request for seconds of reconnect attempts."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )


@cache
def _redis() -> redis.Redis:
    """One client (with its connection pool) per process, on the cache's Redis."""
    location = settings.CACHES["default"]["LOCATION"]
    return redis_client(location[0] if isinstance(location, list | tuple) else location)


def counter_key(api_key_id: int, window: int) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:bot_api:throttle:{api_key_id}:{window}"


# INCR, and the window's expiry set by the request that created the counter: one command
# (EVALSHA), atomic in Redis, so the count stays exact across processes. A pipeline of
# `SET NX EX` + `INCR` does the same in one round trip but costs the client more CPU
# (a pipeline object and two replies per request).
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@cache
def _hit_script() -> Script:
    # Only the script's digest is kept: every call names the client (`_redis()`).
    return _redis().register_script(_HIT_SCRIPT)


def hit(api_key_id: int, window: int) -> int:
    """Count one request in the key's window; returns the count so far."""
    count = _hit_script()(keys=[counter_key(api_key_id, window)], args=[WINDOW_SECONDS + 5],
                          client=_redis())
    return int(count)


class ApiKeyRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True  # authentication answers first; nothing to count
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        try:
            count = hit(api_key.pk, window)
        except redis.RedisError:
            log.warning("bot_api.throttle.redis-unavailable key=%s", api_key.prefix)
            return True
        if count <= api_key.rate_limit_per_minute:
            return True
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return False

    def wait(self) -> float | None:
        return math.ceil(self._wait) if self._wait is not None else None
