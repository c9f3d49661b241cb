"""Per-tenant sending limit: a token bucket in Redis shared by every worker process.

One Lua script refills and takes tokens atomically, so any number of workers on any
number of hosts together stay under the tenant's rate (the mail provider's limit, and
the reputation of the tenant's sending domain). A batch takes its tokens in one call:
as many as it wants or as the bucket holds, whichever is fewer.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS

# KEYS[1] bucket; ARGV: capacity, refill per second, now (s), tokens wanted. Returns
# {tokens granted, milliseconds until the next token when fewer were granted than wanted}.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < want then
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {granted, wait}
"""


class Grant(NamedTuple):
    granted: int  # sends that may go now
    wait: float  # seconds until the next token (0.0 when everything wanted was granted)

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


def take_many(tenant_id: int, per_minute: int, wanted: int) -> Grant:
    """Take up to `wanted` sends from the tenant's bucket in one Redis call.

    The bucket holds one minute's worth, so a campaign may start with a burst of that size.
    Redis unreachable: no limit (the e-mail matters more than the throttle).
    """
    if wanted <= 0:
        return Grant(0, 0.0)
    try:
        granted, wait_ms = _redis().eval(_TAKE, 1, f"crm_campaigns:rate:{tenant_id}",
                                         per_minute, per_minute / 60.0, time.time(), wanted)
    except redis.RedisError:
        return Grant(wanted, 0.0)
    return Grant(int(granted), float(wait_ms) / 1000.0)


def take(tenant_id: int, per_minute: int) -> float:
    """Take one send from the tenant's bucket; 0.0, or the seconds to wait for one."""
    grant = take_many(tenant_id, per_minute, 1)
    return 0.0 if grant.granted else grant.wait


__all__ = ("Grant", "take", "take_many")
