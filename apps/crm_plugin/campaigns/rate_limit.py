"""Per-tenant sending limit: a token bucket in Redis shared by every worker process.

One Lua script refills and takes a token atomically, so any number of workers on any
number of hosts together stay under the tenant's rate (the mail provider's limit, and
the reputation of the tenant's sending domain).
"""

from __future__ import annotations

import threading
import time

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS

# KEYS[1] bucket; ARGV: capacity, refill per second, now (s). Returns 0 when a token was
# taken, else the milliseconds until one is available.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return wait
"""

_lock = threading.Lock()
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    with _lock:
        if _client is None:
            location = settings.CACHES[DEFAULT_CACHE_ALIAS].get("LOCATION") or settings.REDIS_URL
            url = location.split(",")[0] if isinstance(location, str) else next(iter(location))
            _client = redis.Redis.from_url(url.strip())
        return _client


def take(tenant_id: int, per_minute: int) -> float:
    """Take one send from the tenant's bucket; 0.0, or the seconds to wait for one.

    The bucket holds one minute's worth, so a campaign may start with a burst of that size.
    Redis unreachable: no limit (the e-mail matters more than the throttle).
    """
    try:
        wait_ms = _redis().eval(_TAKE, 1, f"crm_campaigns:rate:{tenant_id}", per_minute,
                                per_minute / 60.0, time.time())
    except redis.RedisError:
        return 0.0
    return float(wait_ms) / 1000.0


__all__ = ("take",)
