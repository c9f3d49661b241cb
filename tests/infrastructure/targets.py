"""A real HTTP target for deliveries, run in a thread of the test process.

It behaves like a well-behaved receiver of our deliveries: it applies each event at most
once (keyed by the event id, as the outbound webhook contract asks), and it can be told
to misbehave (500, 429, slow answers past the client's timeout) on chosen calls. It keeps
everything it saw, so tests count what the target actually received.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .waiting import wait_for


@dataclass
class Fault:
    status: int = 200
    delay: float = 0.0  # seconds slept before answering
    headers: dict[str, str] = field(default_factory=dict)


def no_fault(_call_number: int, _body: dict) -> Fault:
    return Fault()


@dataclass
class Received:
    body: dict
    headers: dict[str, str]
    raw: bytes
    status: int
    at: float
    late: bool = False  # answered after the client's timeout: the sender saw a failure


class RecordingTarget:
    def __init__(self, policy: Callable[[int, dict], Fault] = no_fault, delay: float = 0.0):
        self.policy = policy
        self.base_delay = delay
        self.lock = threading.Lock()
        self.calls: list[Received] = []
        self.applied: dict[str, dict] = {}  # event id -> body of the applied call
        self.apply_order: list[str] = []
        self._call_count = 0
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep the test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                if len(raw) < length or not isinstance(body, dict):
                    # A sender killed mid-request: nothing to apply.
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target._handle(self, raw, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def start(self) -> RecordingTarget:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def event_id(body: dict) -> str:
        return str(body.get("event_id") or body.get("id"))

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes, body: dict) -> None:
        with self.lock:
            self._call_count += 1
            number = self._call_count
        fault = self.policy(number, body)
        delay = fault.delay or self.base_delay
        if delay:
            time.sleep(delay)
        late = bool(fault.delay)
        ok = 200 <= fault.status < 300 and not late
        with self.lock:
            self.calls.append(
                Received(
                    body, dict(handler.headers.items()), raw, fault.status, time.monotonic(), late
                )
            )
            key = self.event_id(body)
            if ok and key not in self.applied:
                self.applied[key] = body
                self.apply_order.append(key)
        try:
            handler.send_response(fault.status)
            for name, value in fault.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:
            pass  # the client gave up (timeout): exactly the situation being simulated

    # -- what tests read --------------------------------------------------------------

    def acknowledged(self) -> list[Received]:
        """Calls that got a 2xx answer in time (the sender saw success)."""
        with self.lock:
            return [c for c in self.calls if 200 <= c.status < 300 and not c.late]

    def acknowledged_per_event(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.acknowledged():
            key = self.event_id(call.body)
            counts[key] = counts.get(key, 0) + 1
        return counts

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        wait_for(predicate, timeout=timeout, message=what)
