"""Start the Twenty sandbox in-process, on a free local port, for tests and the demo."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandboxes.twenty.app import TwentySandboxApp
from sandboxes.twenty.sandbox import Sandbox, SandboxOptions

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def check_local_host(host: str) -> str:
    """The sandbox has unauthenticated control endpoints: it only ever listens on loopback."""
    if host not in LOCAL_HOSTS:
        raise ValueError(f"The Twenty sandbox only binds 127.0.0.1, not {host!r}")
    return "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """In-process sandboxes serve tests; their access log would only drown test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class SandboxHandle:
    """A running sandbox. `url` is the base URL: Twenty's CRM_API_URL."""

    url: str
    port: int
    api_key: str
    sandbox: Sandbox
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/metadata"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.sandbox.dispatcher.wait_idle(timeout)

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


def start_sandbox(port: int = 0, *, host: str = "127.0.0.1", **opts: Any) -> SandboxHandle:
    """Serve a fresh sandbox from a daemon thread. `opts` are SandboxOptions fields:
    api_key, api_key_name, calls_per_minute, calls_per_second, batch_limit,
    max_root_resolvers, webhook_allowed_hosts, bootstrap."""
    bind = check_local_host(host)
    if "webhook_allowed_hosts" in opts and opts["webhook_allowed_hosts"] is not None:
        opts["webhook_allowed_hosts"] = frozenset(opts["webhook_allowed_hosts"])
    sandbox = Sandbox(SandboxOptions(**opts))
    server = make_server(
        bind, port, TwentySandboxApp(sandbox), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="twenty-sandbox", daemon=True)
    thread.start()
    actual_port = server.server_port
    return SandboxHandle(
        url=f"http://{bind}:{actual_port}",
        port=actual_port,
        api_key=sandbox.options.api_key,
        sandbox=sandbox,
        _server=server,
        _thread=thread,
    )
