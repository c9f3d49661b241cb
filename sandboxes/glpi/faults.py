"""Switchable failures of the GLPI server, for the connector's retry and bad-input tests.

One fault is active at a time (`POST /_sandbox/faults` replaces it). Modes:

* `"500"` - HTTP 500 with GLPI's JSON error array (an uncaught server error).
* `"html500"` - HTTP 500 with Apache's HTML error page (PHP fatal error behind Apache).
* `"timeout"` - hold the request `delay` seconds (default 30), then 504 HTML like a proxy.
* `"slow"` - wait `delay` seconds (default 2), then answer normally.
* `"garbage_json"` - HTTP 200, `Content-Type: application/json`, but the body is a PHP
  warning followed by truncated JSON (PHP's display_errors leaking into the output).
* `"missing_fields"` - HTTP 200 with valid JSON missing what the client expects: objects
  lose every key, lists become lists of empty objects.

`ratio` (0..1) is the chance a matching request is hit; `count` caps the hits, after which
the fault switches itself off; `paths` is a regex searched in the path after
`apirest.php/`. With `after: true` the request is applied first and only the answer is lost.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import TypedDict

from sandboxes.glpi.jsontypes import JsonValue

MODES = ("500", "html500", "timeout", "slow", "garbage_json", "missing_fields")
DEFAULT_DELAYS = {"timeout": 30.0, "slow": 2.0}


class FaultDescription(TypedDict):
    mode: str
    ratio: float
    count: int | None
    delay: float
    after: bool
    paths: str | None
    hits: int


@dataclass
class FaultSpec:
    mode: str
    ratio: float = 1.0
    count: int | None = None
    delay: float = 0.0
    after: bool = False
    paths: str | None = None
    hits: int = 0

    def describe(self) -> FaultDescription:
        return {
            "mode": self.mode,
            "ratio": self.ratio,
            "count": self.count,
            "delay": self.delay,
            "after": self.after,
            "paths": self.paths,
            "hits": self.hits,
        }


def _number(data: dict[str, JsonValue], key: str, default: float) -> float:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{key} must be a number")
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{key} must be a number") from exc


def parse_fault(data: JsonValue) -> FaultSpec:
    """Validate a `POST /_sandbox/faults` body; raises ValueError with a readable reason."""
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    mode = str(data.get("mode", ""))
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    ratio = _number(data, "ratio", 1.0)
    if not 0.0 <= ratio <= 1.0:
        raise ValueError("ratio must be between 0 and 1")
    count = data.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer")
    delay = _number(data, "delay", DEFAULT_DELAYS.get(mode, 0.0))
    if delay < 0:
        raise ValueError("delay must be >= 0")
    paths = data.get("paths")
    if paths is not None:
        if not isinstance(paths, str):
            raise ValueError("paths must be a regex string")
        try:
            re.compile(paths)
        except re.error as exc:
            raise ValueError(f"paths is not a valid regex: {exc}") from exc
    return FaultSpec(
        mode=mode,
        ratio=ratio,
        count=count,
        delay=delay,
        after=bool(data.get("after", False)),
        paths=paths,
    )


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spec: FaultSpec | None = None
        self._random = random.Random()
        self.injected = 0

    def set(self, spec: FaultSpec, seed: int | None = None) -> None:
        with self._lock:
            self._spec = spec
            self._random = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._spec = None

    def current(self) -> FaultDescription | None:
        with self._lock:
            return self._spec.describe() if self._spec else None

    def pick(self, path: str) -> FaultSpec | None:
        """The fault to apply to this request (counted), or None."""
        with self._lock:
            spec = self._spec
            if spec is None:
                return None
            if spec.paths is not None and not re.search(spec.paths, path):
                return None
            if spec.ratio < 1.0 and self._random.random() >= spec.ratio:
                return None
            spec.hits += 1
            self.injected += 1
            if spec.count is not None and spec.hits >= spec.count:
                self._spec = None  # used up: later requests pass
            return spec
