"""HTTP layer: Krayin's /api/v1 plus the /_sandbox control API and /healthz.

Order per API call: injected fault, route match, auth:sanctum (token), throttle:api (per
user), then the controller (validation first). Successful answers are JSON whatever the
Accept header says; only failures depend on it (see rendering.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Request, Response

from sandboxes.krayin.call import Call
from sandboxes.krayin.control import ControlApi
from sandboxes.krayin.errors import KrayinError, MethodNotAllowed, RouteNotFound, Unauthenticated
from sandboxes.krayin.faults import Fault
from sandboxes.krayin.models import JsonObject, User
from sandboxes.krayin.rendering import (
    INTERNAL,
    TOO_MANY,
    html_page,
    json_response,
    render_error,
    wants_json,
)
from sandboxes.krayin.request_log import LoggedRequest
from sandboxes.krayin.routes import ENDPOINTS, URL_MAP
from sandboxes.krayin.sandbox import Sandbox

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _body(request: Request) -> JsonObject:
    """Laravel's request input: the JSON body, else form fields; invalid JSON is empty."""
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    return {key: value for key, value in request.form.items()}


class KrayinSandboxApp:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.control = ControlApi(sandbox)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/healthz":
            return json_response({"status": "ok"})
        if path.startswith("/_sandbox/"):
            if request.remote_addr not in LOOPBACK:
                return json_response({"error": "control endpoints are loopback-only"}, 403)
            return self.control.dispatch(request)
        if path.startswith("/api/"):
            return self.api(request)
        return html_page(404, "Not Found")

    # -- API -------------------------------------------------------------------------------

    def api(self, request: Request) -> Response:
        started = time.monotonic()
        body = _body(request)
        entry = self.sandbox.log.start(
            request.method,
            request.path,
            dict(request.args.items()),
            request.headers.get("Accept"),
            accept_json=wants_json(request),
            authorization=_bearer(request) is not None,
            content_type=request.headers.get("Content-Type"),
        )
        entry.body = body
        entry.body_keys = list(body)
        fault = self.sandbox.faults.decide(request.path)
        response: Response | None = None
        if fault is not None:
            entry.fault = fault.mode
            if not fault.after:
                response = self._fault_before(fault)
        if response is None:
            response = self._handle(request, body, entry)
            if fault is not None and fault.after:
                response = self._fault_after(fault, response)
        entry.status = response.status_code
        entry.duration_ms = (time.monotonic() - started) * 1000
        return response

    def _handle(self, request: Request, body: JsonObject, entry: LoggedRequest) -> Response:
        sandbox = self.sandbox
        try:
            try:
                name, values = URL_MAP.bind_to_environ(request.environ).match()
            except WerkzeugMethodNotAllowed as exc:
                raise MethodNotAllowed(
                    request.method, request.path, sorted(exc.valid_methods or [])
                ) from None
            except NotFound:
                raise RouteNotFound(request.path) from None
            route = ENDPOINTS[str(name)]
            with sandbox.lock:
                user = self._authenticate(request) if route.auth else None
                entry.user_id = user.id if user else None
                key = f"user:{user.id}" if user else f"ip:{request.remote_addr}"
                allowance = sandbox.throttle.hit(key)
                if name == "persons.destroy":
                    allowance = sandbox.person_delete_throttle.hit(key) or allowance
                call = Call(sandbox, user, body, dict(request.args.items()), request.base_url)
                status, payload = route.handler(call, **values, **route.extra)
            headers: dict[str, str] = {}
            if allowance is not None:
                headers["X-RateLimit-Limit"] = str(allowance.limit)
                headers["X-RateLimit-Remaining"] = str(allowance.remaining)
            return json_response(payload, status, headers)
        except KrayinError as exc:
            entry.error = type(exc).__name__
            return render_error(exc, request, debug=sandbox.options.app_debug)

    def _authenticate(self, request: Request) -> User:
        token = _bearer(request)
        user = self.sandbox.db.user_for_token(token) if token else None
        if user is None:
            raise Unauthenticated()
        return user

    # -- faults ----------------------------------------------------------------------------

    def _fault_before(self, fault: Fault) -> Response | None:
        if fault.mode == "slow":
            time.sleep(fault.delay)
            return None
        return self._fault_response(fault)

    def _fault_after(self, fault: Fault, response: Response) -> Response:
        if fault.mode == "slow":
            time.sleep(fault.delay)
            return response
        return self._fault_response(fault)

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        if fault.mode == "timeout":
            time.sleep(fault.delay)
            return html_page(504, "504 Gateway Time-out")
        if fault.mode == "429":
            retry = str(max(1, round(fault.delay)))
            return json_response(
                {"message": TOO_MANY},
                429,
                {"Retry-After": retry, "X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0"},
            )
        if fault.mode == "html":
            return html_page(502, "502 Bad Gateway")
        return json_response({"message": INTERNAL}, 500)
