"""Twenty's API throttle: per-workspace token buckets that refill continuously (NOTES section 7)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sandboxes.twenty.errors import ErrorCode, TwentyError

DEFAULT_CALLS_PER_MINUTE = 100
DEFAULT_CALLS_PER_SECOND = 100


class TokenBucket:
    def __init__(self, capacity: int, window_ms: int, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.window_ms = window_ms
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed_ms = (now - self._updated) * 1000
        self._tokens = min(
            self.capacity, self._tokens + elapsed_ms * self.capacity / self.window_ms
        )
        self._updated = now

    def try_consume(self) -> bool:
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def available(self) -> float:
        self._refill()
        return self._tokens


class RateLimiter:
    """API_RATE_LIMITING_SHORT_* (per second) and API_RATE_LIMITING_LONG_* (per minute)."""

    def __init__(
        self,
        calls_per_minute: int = DEFAULT_CALLS_PER_MINUTE,
        calls_per_second: int = DEFAULT_CALLS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.configure(calls_per_minute, calls_per_second)

    def configure(self, calls_per_minute: int, calls_per_second: int | None = None) -> None:
        with self._lock:
            per_second = calls_per_second or getattr(
                self, "calls_per_second", DEFAULT_CALLS_PER_SECOND
            )
            self.calls_per_minute = calls_per_minute
            self.calls_per_second = per_second
            self._short = TokenBucket(per_second, 1_000, self._clock)
            self._long = TokenBucket(calls_per_minute, 60_000, self._clock)
            self.throttled = 0

    def consume(self) -> None:
        """Take one token for one query-runner execution, or raise Twenty's throttle error."""
        with self._lock:
            for bucket in (self._short, self._long):
                if bucket.available() < 1:
                    self.throttled += 1
                    raise limit_reached(bucket.capacity, bucket.window_ms)
            self._short.try_consume()
            self._long.try_consume()

    def snapshot(self) -> dict[str, float | int]:
        with self._lock:
            return {
                "callsPerMinute": self.calls_per_minute,
                "callsPerSecond": self.calls_per_second,
                "tokensLeftMinute": round(self._long.available(), 2),
                "tokensLeftSecond": round(self._short.available(), 2),
                "throttled": self.throttled,
            }


def limit_reached(capacity: int, window_ms: int) -> TwentyError:
    message = f"Limit reached ({capacity} tokens per {window_ms} ms)"
    return TwentyError(message, ErrorCode.BAD_USER_INPUT, user_friendly_message=message)
