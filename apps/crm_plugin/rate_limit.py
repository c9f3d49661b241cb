"""Client-side throttle for a CRM's API limit (Twenty: per workspace, Krayin: per user).

Shared by the CRM backends. Twenty (its NOTES.md section 7) refills its bucket
continuously (100 tokens per 60 s by default), so a token bucket with the same shape lets
a long sync run at the ceiling without ever being refused. One bucket per API URL
is shared by every client of the process; a "Limit reached" answer (other processes,
the UI) drains it so that everyone backs off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_CALLS_PER_MINUTE = 100
SAFETY_MARGIN_SECONDS = 0.25


class TokenBucket:
    """`calls_per_minute` tokens, refilled continuously; `acquire()` blocks for one."""

    def __init__(
        self,
        calls_per_minute: int = DEFAULT_CALLS_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls_per_minute <= 0:
            raise ValueError("calls_per_minute must be positive")
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.calls_per_minute = calls_per_minute
        self._tokens = float(calls_per_minute)
        self._updated = clock()
        self.waited_seconds = 0.0

    @property
    def rate_per_second(self) -> float:
        return self.calls_per_minute / 60.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(
            float(self.calls_per_minute),
            self._tokens + (now - self._updated) * self.rate_per_second,
        )
        self._updated = now

    def reserve(self) -> float:
        """Take one token now (possibly going negative); seconds to wait before using it."""
        with self._lock:
            self._refill()
            self._tokens -= 1
            if self._tokens >= 0:
                return 0.0
            # A little longer than exact: the server takes its token when the request
            # arrives, up to one request latency after ours, so its refill clock may lag
            # ours by that much. The margin only shifts the schedule (the refill goes on
            # meanwhile), so the steady rate stays exactly calls_per_minute.
            return -self._tokens / self.rate_per_second + SAFETY_MARGIN_SECONDS

    def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            self.waited_seconds += wait
            self._sleep(wait)

    def penalize(self, seconds: float) -> None:
        """The server said "Limit reached": empty the bucket for `seconds` worth of tokens."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate_per_second


_buckets: dict[str, TokenBucket] = {}
_buckets_lock = threading.Lock()


def bucket_for(workspace_url: str, calls_per_minute: int) -> TokenBucket:
    """The process-wide bucket of one workspace; a changed limit replaces it."""
    with _buckets_lock:
        bucket = _buckets.get(workspace_url)
        if bucket is None or bucket.calls_per_minute != calls_per_minute:
            bucket = TokenBucket(calls_per_minute)
            _buckets[workspace_url] = bucket
        return bucket




def forget_buckets() -> None:
    """Drop every bucket (tests, and after an operator raised the workspace's limit)."""
    with _buckets_lock:
        _buckets.clear()


__all__ = ("DEFAULT_CALLS_PER_MINUTE", "TokenBucket", "bucket_for", "forget_buckets")
