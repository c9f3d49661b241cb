"""A log of the API calls the sandbox received, so connector tests can prove what they sent
(every call with `Accept: application/json`, persons with `contact_numbers`, leads with
`lead_pipeline_stage_id`)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from sandboxes.krayin.clock import iso, now
from sandboxes.krayin.models import JsonObject, JsonValue


@dataclass
class LoggedRequest:
    seq: int
    timestamp: str
    method: str
    path: str
    query: dict[str, str]
    accept: str | None
    accept_json: bool
    authorization: bool
    content_type: str | None
    body: JsonValue = None
    status: int = 0
    user_id: int | None = None
    fault: str | None = None
    error: str | None = None
    duration_ms: float = 0.0
    body_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> JsonObject:
        return {
            "seq": self.seq,
            "timestamp": self.timestamp,
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "accept": self.accept,
            "accept_json": self.accept_json,
            "authorization": self.authorization,
            "content_type": self.content_type,
            "body_keys": list(self.body_keys),
            "body": self.body,
            "status": self.status,
            "user_id": self.user_id,
            "fault": self.fault,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
        }


class RequestLog:
    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._seq = 0

    def start(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        accept: str | None,
        *,
        accept_json: bool,
        authorization: bool,
        content_type: str | None,
    ) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(
                self._seq,
                iso(now()) or "",
                method,
                path,
                query,
                accept,
                accept_json,
                authorization,
                content_type,
            )
            self._entries.append(entry)
            return entry

    def entries(self, since: int = 0) -> list[JsonValue]:
        with self._lock:
            return [e.as_dict() for e in self._entries if e.seq > since]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
