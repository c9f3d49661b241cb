"""A log of the API calls the sandbox received, for tests that assert on client behaviour
(how often it logged in, which token it used, whether a GET carried a body...)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TypedDict


class LoggedRequestDict(TypedDict):
    seq: int
    time: str
    method: str
    path: str
    query: str
    resource: str
    status: int
    error: str | None
    session_token: str | None
    app_token_sent: bool
    body_sent: bool
    fault: str | None
    notes: list[str]
    duration_ms: float


@dataclass
class LoggedRequest:
    seq: int
    time: str
    method: str
    path: str
    query: str
    resource: str
    session_token: str | None = None
    app_token_sent: bool = False
    body_sent: bool = False
    status: int = 0
    error: str | None = None
    """Element 0 of GLPI's error array, when the answer was an error."""
    fault: str | None = None
    notes: list[str] = field(default_factory=list)
    duration_ms: float = 0.0

    def as_dict(self) -> LoggedRequestDict:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "resource": self.resource,
            "status": self.status,
            "error": self.error,
            "session_token": self.session_token,
            "app_token_sent": self.app_token_sent,
            "body_sent": self.body_sent,
            "fault": self.fault,
            "notes": list(self.notes),
            "duration_ms": round(self.duration_ms, 2),
        }


class RequestLog:
    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._seq = 0

    def start(self, time: str, method: str, path: str, query: str, resource: str) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(self._seq, time, method, path, query, resource)
            self._entries.append(entry)
            return entry

    def entries(self, since: int = 0) -> list[LoggedRequestDict]:
        with self._lock:
            return [e.as_dict() for e in self._entries if e.seq > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
