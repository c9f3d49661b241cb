"""Start the Krayin sandbox in-process, on a free local port, for tests and the demo."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandboxes.krayin.app import KrayinSandboxApp
from sandboxes.krayin.clock import DEFAULT_TIMEZONE
from sandboxes.krayin.routes import PREFIX
from sandboxes.krayin.sandbox import Sandbox, SandboxOptions
from sandboxes.krayin.throttle import DEFAULT_PER_MINUTE

LOCAL_HOSTS = ("127.0.0.1", "localhost")
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def check_local_host(host: str) -> str:
    """The sandbox has unauthenticated control endpoints: it only ever listens on loopback."""
    if host not in LOCAL_HOSTS:
        raise ValueError(f"The Krayin sandbox only binds 127.0.0.1, not {host!r}")
    return "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """In-process sandboxes serve tests; their access log would only drown test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class SandboxHandle:
    """A running sandbox. `url` is Krayin's APP_URL; the API lives under `api_url`."""

    url: str
    port: int
    email: str
    password: str
    sandbox: Sandbox
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def api_url(self) -> str:
        return f"{self.url}{PREFIX}"

    def login(self, device_name: str = "sandbox-test") -> str:
        """Log in over HTTP (revoking the user's older tokens) and return the Bearer token."""
        response = requests.post(
            f"{self.api_url}/login",
            json={"email": self.email, "password": self.password, "device_name": device_name},
            headers=JSON_HEADERS,
            timeout=10,
        )
        response.raise_for_status()
        token: str = response.json()["token"]
        return token

    def headers(self, token: str) -> dict[str, str]:
        return {**JSON_HEADERS, "Authorization": f"Bearer {token}"}

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.sandbox.dispatcher.wait_idle(timeout)

    def reset(self) -> None:
        self.sandbox.reset()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
        self.sandbox.close()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_sandbox(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    email: str = "admin@example.com",
    password: str = "secret",
    name: str = "API Bot",
    app_debug: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
    rate_limit: int = DEFAULT_PER_MINUTE,
) -> SandboxHandle:
    """Serve a fresh sandbox from a daemon thread (port 0: a free one)."""
    bind = check_local_host(host)
    sandbox = Sandbox(
        SandboxOptions(
            email=email,
            password=password,
            name=name,
            app_debug=app_debug,
            timezone=timezone,
            rate_limit=rate_limit,
        )
    )
    server = make_server(
        bind, port, KrayinSandboxApp(sandbox), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="krayin-sandbox", daemon=True)
    thread.start()
    actual_port = server.server_port
    return SandboxHandle(
        url=f"http://{bind}:{actual_port}",
        port=actual_port,
        email=email,
        password=password,
        sandbox=sandbox,
        _server=server,
        _thread=thread,
    )
