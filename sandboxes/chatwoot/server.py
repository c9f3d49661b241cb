"""Running the sandbox: a threaded werkzeug server on 127.0.0.1, started in a daemon thread
(``start_sandbox`` for tests) or in the foreground (the CLI)."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .config import SandboxConfig
from .context import Runtime
from .faults import FaultInjector
from .state import Store
from .webhooks import WebhookDispatcher

HOST = "127.0.0.1"


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug drops header names containing ``_`` (as nginx does by default); Puma does
    not, and Chatwoot's ``api_access_token`` header relies on that."""

    accept_underscore_headers = True

    def make_environ(self) -> Any:
        environ = super().make_environ()
        if self.accept_underscore_headers:
            for key, value in self.headers.items():
                if "_" in key:
                    environ.setdefault("HTTP_" + key.upper().replace("-", "_"), value)
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Tests and the demo read the request log through /_sandbox/requests instead.
        return


class SandboxHandle:
    """A running sandbox. ``url`` is the base URL to configure as CHATWOOT_API_URL."""

    def __init__(self, server: BaseWSGIServer, runtime: Runtime) -> None:
        self._server = server
        self.runtime = runtime
        self.url = f"http://{HOST}:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, name="chatwoot-sandbox", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def state(self) -> Store:
        """The live store (take ``state.lock`` for multi-step reads)."""
        return self.runtime.store

    @property
    def config(self) -> SandboxConfig:
        return self.runtime.store.config

    def flush_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook delivery was attempted."""
        return self.runtime.dispatcher.flush(timeout)

    def reset(self) -> None:
        self.runtime.dispatcher.drop_pending()
        self.runtime.faults.clear()
        self.runtime.store.reset()

    def start(self) -> SandboxHandle:
        self.runtime.dispatcher.start()
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Foreground mode for the CLI; returns after ``stop()`` or KeyboardInterrupt."""
        self.runtime.dispatcher.start()
        try:
            self._server.serve_forever()
        finally:
            self._close()

    def stop(self) -> None:
        self.runtime.stopping.set()  # wake simulated slow/timeout requests
        self._server.shutdown()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._close()

    def _close(self) -> None:
        self.runtime.stopping.set()
        self._server.server_close()
        self.runtime.dispatcher.stop()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def build_sandbox(
    port: int = 0,
    config: SandboxConfig | None = None,
    fault_seed: int | None = None,
    **options: Any,
) -> SandboxHandle:
    """Create (but do not start) a sandbox bound to 127.0.0.1:``port`` (0 = free port).

    ``options`` override ``SandboxConfig`` fields, e.g. ``api_token="x"``.
    """
    config = replace(config or SandboxConfig(), **options)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    store = Store(config)
    runtime = Runtime(
        store=store,
        dispatcher=WebhookDispatcher(store, config.webhook_timeout),
        faults=FaultInjector(fault_seed),
    )
    handler = type(
        "RequestHandler",
        (_RequestHandler,),
        {"accept_underscore_headers": config.accept_underscore_headers},
    )
    server = make_server(HOST, port, SandboxApp(runtime), threaded=True, request_handler=handler)
    server.daemon_threads = True  # never wait for a simulated hang on shutdown
    return SandboxHandle(server, runtime)


def start_sandbox(
    port: int = 0,
    config: SandboxConfig | None = None,
    fault_seed: int | None = None,
    **options: Any,
) -> SandboxHandle:
    """Start a sandbox in a daemon thread; use as a context manager or call ``stop()``."""
    return build_sandbox(port, config, fault_seed, **options).start()
