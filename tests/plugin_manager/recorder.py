"""A tiny local HTTP server that records what it receives (the outside system stand-in
for tests with a real worker process, where `responses` cannot reach)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.infrastructure.waiting import WaitTimeout, wait_for


@dataclass
class Recorded:
    method: str
    path: str
    body: dict
    headers: dict[str, str]


@dataclass
class Recorder:
    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def matching(self, predicate: Callable[[Recorded], bool]) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(self, predicate: Callable[[Recorded], bool], count: int = 1,
                 timeout: float = 30.0) -> list[Recorded]:
        def enough() -> list[Recorded]:
            found = self.matching(predicate)
            return found if len(found) >= count else []

        try:
            return wait_for(enough, timeout=timeout)
        except WaitTimeout:
            raise AssertionError(f"expected {count} matching request(s) within {timeout}s, "
                                 f"got {self.matching(predicate)}") from None


def start_recorder() -> Recorder:
    recorder: Recorder

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            with recorder.lock:
                recorder.requests.append(
                    Recorded(self.command, self.path, body, dict(self.headers.items()))
                )
            payload = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _record  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder = Recorder(server)
    threading.Thread(target=server.serve_forever, daemon=True, name="recorder").start()
    return recorder
