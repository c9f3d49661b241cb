"""Injected infrastructure faults, so clients can be tested against a misbehaving Krayin.

Modes: "500" (Krayin's production 500 body), "429" (a 429 with Retry-After, as APP_DEBUG
or a proxy renders it), "slow" (answer after `delay` seconds), "timeout" (hold the
request `delay` seconds, then a proxy's 504 HTML page) and "html" (a proxy's 502 HTML page
instead of JSON). With `after: true` the request is executed first and only the answer is
lost: the "lost response" case. Faults hit /api/v1/ paths only, optionally only those
starting with `path`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

from sandboxes.krayin.models import JsonObject, JsonValue

MODES = ("500", "429", "slow", "timeout", "html")
DEFAULT_DELAYS = {"slow": 3.0, "timeout": 30.0, "429": 1.0}


@dataclass
class FaultConfig:
    mode: str
    ratio: float = 1.0
    count: int | None = None
    delay: float | None = None
    after: bool = False
    path: str | None = None
    seed: int | None = None

    @classmethod
    def from_json(cls, data: JsonObject) -> FaultConfig:
        mode = str(data.get("mode", ""))
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        ratio = _number(data.get("ratio", 1.0), "ratio")
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("ratio must be between 0 and 1")
        count = data.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise ValueError("count must be a non-negative integer")
        delay = data.get("delay")
        path = data.get("path")
        seed = data.get("seed")
        return cls(
            mode=mode,
            ratio=ratio,
            count=count,
            delay=_number(delay, "delay") if delay is not None else DEFAULT_DELAYS.get(mode),
            after=bool(data.get("after", False)),
            path=str(path) if path else None,
            seed=seed if isinstance(seed, int) else None,
        )


def _number(value: JsonValue, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    return float(value)


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
            self.injected = 0

    def describe(self) -> JsonObject | None:
        with self._lock:
            return asdict(self._config) if self._config else None

    def decide(self, path: str) -> Fault | None:
        """Whether this request gets the fault; `count` is used up one request at a time."""
        with self._lock:
            config = self._config
            if config is None or (config.path and not path.startswith(config.path)):
                return None
            if config.count is not None and config.count <= 0:
                return None
            if self._random.random() >= config.ratio:
                return None
            if config.count is not None:
                config.count -= 1
            self.injected += 1
            return Fault(config.mode, config.delay or 0.0, config.after)
