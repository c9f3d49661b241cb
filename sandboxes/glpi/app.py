"""HTTP layer: `/apirest.php/...` (the GLPI API), `/_sandbox/...` (control), `/healthz`.

Per API request: log entry, injected fault (before), the GLPI pipeline (api.py), then an
`after` fault that loses the answer of a request that was applied.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from sandboxes.glpi.control import ControlApi, json_response
from sandboxes.glpi.exchange import JSON_CONTENT_TYPE, ApiRequest, ApiResponse
from sandboxes.glpi.faults import FaultSpec
from sandboxes.glpi.jsontypes import JsonValue
from sandboxes.glpi.phpquery import parse_pairs
from sandboxes.glpi.request_log import LoggedRequest
from sandboxes.glpi.sandbox import Sandbox

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API_PREFIX = "/apirest.php"
EXPOSE_HEADERS = "content-type, content-range, accept-range"

APACHE_500 = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    "<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>\n"
    "<p>The server encountered an internal error or\nmisconfiguration and was unable to "
    "complete\nyour request.</p>\n<hr>\n<address>Apache/2.4.57 (Debian) Server at "
    "glpi.example.com Port 443</address>\n</body></html>\n"
)
GATEWAY_TIMEOUT = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
PHP_WARNING = (
    '<br />\n<b>Warning</b>:  Undefined array key "glpiactiveprofile" in '
    "<b>/var/www/glpi/src/Api/API.php</b> on line <b>2187</b><br />\n"
)


def _strip_fields(body: JsonValue) -> JsonValue:
    if isinstance(body, dict):
        return {}
    if isinstance(body, list):
        return [{} for _ in body]
    return {}


class GlpiSandboxApp:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.control = ControlApi(sandbox)
        self.stopping = threading.Event()
        """Set on shutdown: wakes requests held by a slow/timeout fault."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return self.api(request, path[len(API_PREFIX) :])
        if path.rstrip("/") == "/healthz":
            return json_response({"status": "ok"})
        if path.startswith("/_sandbox/"):
            return self.control.dispatch(request)
        return json_response({"error": f"Cannot {request.method} {path}"}, 404)

    # ------------------------------------------------------------------ API

    def api(self, request: Request, rest: str) -> Response:
        started = time.monotonic()
        parts = [p for p in rest.split("/") if p]
        entry = self.sandbox.log.start(
            self.sandbox.clock.now_text(),
            request.method,
            request.path,
            request.query_string.decode(errors="replace"),
            parts[0] if parts else "",
        )
        try:
            response = self._api(request, parts, entry)
        finally:
            entry.duration_ms = (time.monotonic() - started) * 1000
        entry.status = response.status_code
        return response

    def _api(self, request: Request, parts: list[str], entry: LoggedRequest) -> Response:
        raw = request.get_data()
        entry.body_sent = bool(raw.strip())
        entry.app_token_sent = bool(
            request.headers.get("App-Token") or request.args.get("app_token")
        )
        entry.session_token = request.headers.get("Session-Token") or request.args.get(
            "session_token"
        )
        fault = self.sandbox.faults.pick("/".join(parts))
        if fault is not None:
            entry.fault = fault.mode
            if not fault.after:
                early = self._fault_before(fault)
                if early is not None:
                    return early
        api_request = self._api_request(request, parts, raw)
        outcome = self.sandbox.api.handle(api_request)
        entry.notes.extend(outcome.notes)
        answer = outcome.response
        entry.error = answer.error_code
        if fault is not None and fault.after:
            return self._fault_after(fault, answer)
        return self._to_response(answer)

    @staticmethod
    def _api_request(request: Request, parts: list[str], raw: bytes) -> ApiRequest:
        body: JsonValue = None
        invalid = False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                invalid = True
        return ApiRequest(
            method=request.method,
            parts=parts,
            query=parse_pairs(request.args.items(multi=True)),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            body_sent=bool(raw.strip()),
            body_invalid=invalid,
            api_url=request.host_url.rstrip("/") + API_PREFIX,
            client_ip=request.remote_addr or "",
        )

    @staticmethod
    def _to_response(answer: ApiResponse, body: bytes | None = None) -> Response:
        response = Response(
            answer.encode() if body is None else body,
            answer.status,
            content_type=JSON_CONTENT_TYPE,
        )
        for name, value in answer.headers.items():
            response.headers[name] = value
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response

    # ------------------------------------------------------------------ faults

    def _fault_before(self, fault: FaultSpec) -> Response | None:
        if fault.mode == "slow":
            self.stopping.wait(fault.delay)
            return None
        if fault.mode == "timeout":
            self.stopping.wait(fault.delay)
            return Response(GATEWAY_TIMEOUT, 504, content_type="text/html")
        if fault.mode == "garbage_json":
            return Response(PHP_WARNING + '{"id":', 200, content_type=JSON_CONTENT_TYPE)
        if fault.mode == "missing_fields":
            return self._to_response(ApiResponse(200, {}))
        return self._server_error(fault)

    def _fault_after(self, fault: FaultSpec, answer: ApiResponse) -> Response:
        if fault.mode == "slow":
            self.stopping.wait(fault.delay)
            return self._to_response(answer)
        if fault.mode == "timeout":
            self.stopping.wait(fault.delay)
            return Response(GATEWAY_TIMEOUT, 504, content_type="text/html")
        if fault.mode == "garbage_json":
            encoded = answer.encode()
            broken = PHP_WARNING.encode() + encoded[: max(1, len(encoded) // 2)]
            return self._to_response(ApiResponse(200, None, answer.headers), broken)
        if fault.mode == "missing_fields":
            return self._to_response(ApiResponse(200, _strip_fields(answer.body), answer.headers))
        return self._server_error(fault)

    @staticmethod
    def _server_error(fault: FaultSpec) -> Response:
        if fault.mode == "html500":
            return Response(APACHE_500, 500, content_type="text/html; charset=iso-8859-1")
        body = json.dumps(["ERROR", "Internal Server Error"]).encode()
        return Response(body, 500, content_type=JSON_CONTENT_TYPE)
