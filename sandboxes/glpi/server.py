"""Start the GLPI sandbox in-process, on a free loopback port, for tests and the demo."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import cast

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandboxes.glpi.app import API_PREFIX, GlpiSandboxApp
from sandboxes.glpi.config import DEFAULT_SESSION_IDLE_SECONDS, SandboxOptions
from sandboxes.glpi.faults import FaultDescription
from sandboxes.glpi.jsontypes import JsonValue
from sandboxes.glpi.reports import ClockInfo, ConfigInfo, FollowupResult, SandboxState
from sandboxes.glpi.request_log import LoggedRequestDict
from sandboxes.glpi.sandbox import Sandbox

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def check_local_host(host: str) -> str:
    """The control endpoints have no auth: the sandbox only ever listens on loopback."""
    if host not in LOCAL_HOSTS:
        raise ValueError(f"The GLPI sandbox only binds 127.0.0.1, not {host!r}")
    return "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """Tests read /_sandbox/requests instead of an access log that would drown their output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


@dataclass
class SandboxHandle:
    """A running sandbox. `url` is the API base (`http://127.0.0.1:PORT/apirest.php`),
    what the connector is configured with; `base_url` is the server root."""

    url: str
    base_url: str
    port: int
    app_token: str | None
    user_token: str
    sandbox: Sandbox
    _server: BaseWSGIServer = field(repr=False)
    _app: GlpiSandboxApp = field(repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """The headers of initSession: Content-Type, Authorization user_token, App-Token."""
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"user_token {self.user_token}",
        }
        if self.app_token is not None:
            headers["App-Token"] = self.app_token
        return headers

    def session_headers(self, session_token: str) -> dict[str, str]:
        """The headers of every call after initSession."""
        headers = {"Content-Type": "application/json", "Session-Token": session_token}
        if self.app_token is not None:
            headers["App-Token"] = self.app_token
        return headers

    # ------------------------------------------------------------------ control API

    def control(self, method: str, path: str, body: object | None = None) -> JsonValue:
        """Call a `/_sandbox/...` endpoint (path with or without the prefix); returns JSON."""
        if not path.startswith("/_sandbox/"):
            path = "/_sandbox/" + path.lstrip("/")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result: JsonValue = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            payload = exc.read().decode(errors="replace")
            raise RuntimeError(f"{method} {path} -> {exc.code}: {payload}") from None
        return result

    def reset(self) -> None:
        """A fresh install: seed data only; no sessions, log, faults, clock offset."""
        self.control("POST", "reset")

    def state(self) -> SandboxState:
        return cast(SandboxState, self.control("GET", "state"))

    def requests(self, since: int = 0) -> list[LoggedRequestDict]:
        return cast(list[LoggedRequestDict], self.control("GET", f"requests?since={since}"))

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def set_fault(self, mode: str, **options: object) -> FaultDescription:
        """`mode` in 500/html500/timeout/slow/garbage_json/missing_fields; options: ratio,
        count, delay, after, paths, seed."""
        result = cast(
            dict[str, FaultDescription], self.control("POST", "faults", {"mode": mode, **options})
        )
        return result["fault"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def configure(self, **settings: object) -> ConfigInfo:
        """GLPI setup switches: api_enabled, credentials_login_enabled, allowed_ips,
        mandatory_ticket_fields, list_limit."""
        return cast(ConfigInfo, self.control("POST", "config", settings))

    def advance_clock(self, seconds: float) -> ClockInfo:
        """Move GLPI's clock forward: dates of later changes, and session idle time."""
        return cast(ClockInfo, self.control("POST", "clock", {"advance_seconds": seconds}))

    def expire_sessions(self) -> int:
        result = cast(dict[str, int], self.control("POST", "sessions/expire"))
        return result["expired"]

    def create_ticket(self, users_id: int | None = None, **fields: object) -> int:
        """Open a ticket as a GLPI UI user (default: the technician, id 4); returns its id."""
        body: dict[str, object] = {"input": fields}
        if users_id is not None:
            body["users_id"] = users_id
        result = cast(dict[str, int], self.control("POST", "tickets", body))
        return result["id"]

    def set_ticket_status(
        self, ticket_id: int, status: int, users_id: int | None = None
    ) -> dict[str, JsonValue]:
        """Change a ticket's status as a technician; returns the ticket row."""
        body: dict[str, object] = {"status": status}
        if users_id is not None:
            body["users_id"] = users_id
        return cast(dict[str, JsonValue], self.control("POST", f"tickets/{ticket_id}/status", body))

    def add_followup(
        self,
        ticket_id: int,
        content: str,
        *,
        is_private: bool = False,
        users_id: int | None = None,
    ) -> FollowupResult:
        """Add a followup as a technician (default id 4), public or private."""
        body: dict[str, object] = {"content": content, "is_private": is_private}
        if users_id is not None:
            body["users_id"] = users_id
        return cast(FollowupResult, self.control("POST", f"tickets/{ticket_id}/followups", body))

    # ------------------------------------------------------------------ lifecycle

    def serve_forever(self) -> None:
        """Foreground mode for the CLI; returns after stop() or KeyboardInterrupt."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._app.stopping.set()
            self._server.server_close()

    def stop(self) -> None:
        self._app.stopping.set()  # release requests held by slow/timeout faults
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def build_sandbox(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    app_token: str | None = None,
    user_token: str = "sandbox-user-token",
    session_idle_seconds: float = DEFAULT_SESSION_IDLE_SECONDS,
) -> SandboxHandle:
    """Create (not start) a sandbox on host:port (0 = a free port)."""
    bind = check_local_host(host)
    options = SandboxOptions(
        app_token=app_token, user_token=user_token, session_idle_seconds=session_idle_seconds
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = Sandbox(options)
    app = GlpiSandboxApp(sandbox)
    server = make_server(bind, port, app, threaded=True, request_handler=_QuietHandler)
    if isinstance(server, ThreadingMixIn):
        server.daemon_threads = True  # never wait for a request held by a timeout fault
    actual_port = server.server_port
    base = f"http://{bind}:{actual_port}"
    return SandboxHandle(
        url=base + API_PREFIX,
        base_url=base,
        port=actual_port,
        app_token=app_token,
        user_token=user_token,
        sandbox=sandbox,
        _server=server,
        _app=app,
    )


def start_sandbox(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    app_token: str | None = None,
    user_token: str = "sandbox-user-token",
    session_idle_seconds: float = DEFAULT_SESSION_IDLE_SECONDS,
) -> SandboxHandle:
    """Serve a fresh sandbox from a daemon thread; use as a context manager or call stop()."""
    handle = build_sandbox(
        port,
        host=host,
        app_token=app_token,
        user_token=user_token,
        session_idle_seconds=session_idle_seconds,
    )
    thread = threading.Thread(target=handle._server.serve_forever, name="glpi-sandbox", daemon=True)
    handle._thread = thread
    thread.start()
    return handle
