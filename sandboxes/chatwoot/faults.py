"""Switchable failures of the Chatwoot API, for testing the client's retry logic.

One fault is active at a time (``POST /_sandbox/faults`` replaces it). Modes:

* ``"500"`` - Rails' default 500 body ``{"status":500,"error":"Internal Server Error"}``.
* ``"429"`` - rack-attack's throttle: ``text/plain`` ``Retry later``; a ``Retry-After``
  header only if ``retry_after`` is given (rack-attack 6.7 sends none by default).
* ``"slow"`` - wait ``delay`` seconds (default 1), then answer normally.
* ``"timeout"`` - wait ``delay`` seconds (default 30, meant to exceed the client timeout),
  then answer 504 like nginx in front of a stuck Puma.

``ratio`` (0..1, default 1) is the chance a matching request is hit, ``count`` caps how many
requests are hit before the fault switches itself off, ``paths`` is a regex searched in the
request path. ``apply: "after"`` runs the request first (state changes, webhooks fire) and
then fails it: the "lost response" case idempotent clients must survive.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Any

MODES = ("500", "429", "slow", "timeout")
_DEFAULT_DELAY = {"slow": 1.0, "timeout": 30.0}


@dataclass
class FaultSpec:
    mode: str
    ratio: float = 1.0
    count: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    paths: str | None = None
    methods: tuple[str, ...] | None = None
    apply: str = "before"
    hits: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "ratio": self.ratio,
            "count": self.count,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "paths": self.paths,
            "methods": list(self.methods) if self.methods else None,
            "apply": self.apply,
            "hits": self.hits,
        }


def parse_fault(data: Any) -> FaultSpec:
    """Validate a ``POST /_sandbox/faults`` body; raises ValueError with a readable reason."""
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    mode = str(data.get("mode", ""))
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    ratio = float(data.get("ratio", 1.0))
    if not 0.0 <= ratio <= 1.0:
        raise ValueError("ratio must be between 0 and 1")
    count = data.get("count")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer")
    retry_after = data.get("retry_after")
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise ValueError("retry_after must be a non-negative integer (seconds)")
    delay = float(data.get("delay", _DEFAULT_DELAY.get(mode, 0.0)))
    if delay < 0:
        raise ValueError("delay must be >= 0")
    paths = data.get("paths")
    if paths is not None:
        try:
            re.compile(str(paths))
        except re.error as exc:
            raise ValueError(f"paths is not a valid regex: {exc}") from exc
    methods = data.get("methods")
    apply = str(data.get("apply", "before"))
    if apply not in ("before", "after"):
        raise ValueError('apply must be "before" or "after"')
    return FaultSpec(
        mode=mode,
        ratio=ratio,
        count=count,
        retry_after=retry_after,
        delay=delay,
        paths=str(paths) if paths is not None else None,
        methods=tuple(str(m).upper() for m in methods) if methods else None,
        apply=apply,
    )


class FaultInjector:
    """Thread-safe holder of the active fault; decides per request whether it fires."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._spec: FaultSpec | None = None
        self._random = random.Random(seed)

    def set(self, spec: FaultSpec, seed: int | None = None) -> None:
        with self._lock:
            self._spec = spec
            if seed is not None:
                self._random.seed(seed)

    def clear(self) -> None:
        with self._lock:
            self._spec = None

    def current(self) -> dict[str, Any] | None:
        with self._lock:
            return self._spec.describe() if self._spec else None

    def pick(self, method: str, path: str) -> FaultSpec | None:
        """Return the fault to apply to this request (and count it), or None."""
        with self._lock:
            spec = self._spec
            if spec is None:
                return None
            if spec.paths is not None and not re.search(spec.paths, path):
                return None
            if spec.methods is not None and method.upper() not in spec.methods:
                return None
            if spec.ratio < 1.0 and self._random.random() >= spec.ratio:
                return None
            spec.hits += 1
            if spec.count is not None and spec.hits >= spec.count:
                self._spec = None  # exhausted: later requests pass
            return spec
