"""A log of the API calls the sandbox received, for tests that assert on client behaviour."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sandboxes.twenty.clock import now_iso


@dataclass
class RootCall:
    """One root field of a document: one query-runner execution in Twenty's terms."""

    field: str
    kind: str
    records: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "kind": self.kind,
            "records": self.records,
            "error": self.error,
        }


@dataclass
class LoggedRequest:
    seq: int
    timestamp: str
    endpoint: str
    operation_name: str | None = None
    status: int = 200
    fault: str | None = None
    error_codes: list[str] = field(default_factory=list)
    calls: list[RootCall] = field(default_factory=list)
    duration_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "timestamp": self.timestamp,
            "endpoint": self.endpoint,
            "operationName": self.operation_name,
            "status": self.status,
            "fault": self.fault,
            "errorCodes": self.error_codes,
            "calls": [c.as_dict() for c in self.calls],
            "durationMs": round(self.duration_ms, 2),
        }


class RequestLog:
    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._seq = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_field: Counter[str] = Counter()

    def start(self, endpoint: str) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(self._seq, now_iso(), endpoint)
            self._entries.append(entry)
            self.by_endpoint[endpoint] += 1
            return entry

    def count_call(self, call: RootCall) -> None:
        with self._lock:
            self.by_field[call.field] += 1

    def entries(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [e.as_dict() for e in self._entries if e.seq > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.by_endpoint.clear()
            self.by_field.clear()

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {"byEndpoint": dict(self.by_endpoint), "byField": dict(self.by_field)}
