"""Injected infrastructure faults, so clients can be tested against a misbehaving Twenty.

Modes: "500" (HTTP 500), "429" (HTTP 429 with Retry-After, as a proxy would send), "limit"
(Twenty's own "Limit reached" GraphQL error, HTTP 200), "slow" (answer after `delay`
seconds) and "timeout" (hold the request for `delay` seconds, then 504). With `after: true`
the request is executed first and only the answer is lost: the "lost response" case.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

MODES = ("500", "429", "limit", "slow", "timeout")
DEFAULT_DELAYS = {"slow": 3.0, "timeout": 30.0, "429": 1.0}
ENDPOINTS = ("graphql", "metadata")


@dataclass
class FaultConfig:
    mode: str
    ratio: float = 1.0
    count: int | None = None
    delay: float | None = None
    endpoints: list[str] = field(default_factory=lambda: ["graphql"])
    after: bool = False
    seed: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        mode = str(data.get("mode", ""))
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        ratio = float(data.get("ratio", 1.0))
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("ratio must be between 0 and 1")
        count = data.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise ValueError("count must be a non-negative integer")
        endpoints = list(data.get("endpoints") or ["graphql"])
        if any(e not in ENDPOINTS for e in endpoints):
            raise ValueError(f"endpoints must be a subset of {list(ENDPOINTS)}")
        delay = data.get("delay")
        return cls(
            mode=mode,
            ratio=ratio,
            count=count,
            delay=float(delay) if delay is not None else DEFAULT_DELAYS.get(mode),
            endpoints=endpoints,
            after=bool(data.get("after", False)),
            seed=data.get("seed"),
        )


@dataclass(frozen=True)
class Fault:
    mode: str
    delay: float
    after: bool


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: FaultConfig | None = None
        self._random = random.Random()
        self.injected = 0

    def set(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._random = random.Random(config.seed)

    def clear(self) -> None:
        with self._lock:
            self._config = None

    def describe(self) -> dict[str, Any] | None:
        with self._lock:
            return asdict(self._config) if self._config else None

    def decide(self, endpoint: str) -> Fault | None:
        """Whether this request gets the fault; `count` is used up one request at a time."""
        with self._lock:
            config = self._config
            if config is None or endpoint not in config.endpoints:
                return None
            if config.count is not None and config.count <= 0:
                return None
            if self._random.random() >= config.ratio:
                return None
            if config.count is not None:
                config.count -= 1
            self.injected += 1
            return Fault(config.mode, config.delay or 0.0, config.after)
