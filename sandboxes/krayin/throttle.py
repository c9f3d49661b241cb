"""Laravel's `throttle:api`: 60 requests per minute per user id (per IP before login).

A fixed one-minute window per key, as Laravel's RateLimiter keeps it in the cache.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from sandboxes.krayin.errors import TooManyAttempts

DEFAULT_PER_MINUTE = 60
WINDOW_SECONDS = 60.0
# `DELETE /contacts/persons/{id}` also carries throttle:100,60: 100 per hour.
PERSON_DELETES_PER_HOUR = 100


@dataclass
class _Window:
    started: float
    hits: int


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int


class Throttle:
    """`per_minute` requests per window (named for throttle:api; `window` may be longer)."""

    def __init__(
        self, per_minute: int = DEFAULT_PER_MINUTE, window: float = WINDOW_SECONDS
    ) -> None:
        self._lock = threading.Lock()
        self.per_minute = per_minute
        self.window = window
        self._windows: dict[str, _Window] = {}

    def configure(self, per_minute: int) -> None:
        """0 switches throttling off (tests that make many calls)."""
        with self._lock:
            self.per_minute = per_minute
            self._windows.clear()

    def hit(self, key: str) -> Allowance | None:
        """Count one request; raise TooManyAttempts past the limit. None when switched off."""
        with self._lock:
            if self.per_minute <= 0:
                return None
            moment = time.monotonic()
            window = self._windows.get(key)
            if window is None or moment - window.started >= self.window:
                window = self._windows[key] = _Window(moment, 0)
            if window.hits >= self.per_minute:
                retry = math.ceil(self.window - (moment - window.started))
                raise TooManyAttempts(retry_after=max(retry, 1), limit=self.per_minute)
            window.hits += 1
            return Allowance(self.per_minute, self.per_minute - window.hits)
