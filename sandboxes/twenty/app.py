"""HTTP layer: Twenty's /graphql and /metadata endpoints plus the /_sandbox control API.

Order per API request: injected fault, token check (HTTP 200 errors, like Twenty's
middleware), JSON body, then the GraphQL document. Answers are JSON; GraphQL-level failures
use HTTP 200 unless the client asks for application/graphql-response+json.
"""

from __future__ import annotations

import time
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from sandboxes.twenty.control import ControlApi, json_response
from sandboxes.twenty.errors import ErrorCode, TwentyError
from sandboxes.twenty.faults import Fault
from sandboxes.twenty.limits import limit_reached
from sandboxes.twenty.request_log import LoggedRequest
from sandboxes.twenty.sandbox import GraphQLOutcome, Sandbox
from sandboxes.twenty.values import json_ready
from sandboxes.twenty.webhooks import encode_body

API_ENDPOINTS = {"/graphql": "graphql", "/metadata": "metadata"}
GRAPHQL_RESPONSE_MEDIA_TYPE = "application/graphql-response+json"


def _token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _errors(*errors: TwentyError) -> dict[str, Any]:
    return {"errors": [e.as_response_error() for e in errors]}


class TwentySandboxApp:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.control = ControlApi(sandbox)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = json_response({"error": exc.description}, exc.code or 500)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path in API_ENDPOINTS:
            if request.method != "POST":
                error = TwentyError("Only POST is supported", ErrorCode.METHOD_NOT_ALLOWED)
                return json_response(_errors(error), 405, {"Allow": "POST"})
            return self.api(request, API_ENDPOINTS[path])
        if path == "/healthz":
            return json_response({"status": "ok"})
        if path.startswith("/_sandbox/"):
            return self.control.dispatch(request)
        return json_response({"error": f"Cannot {request.method} {request.path}"}, 404)

    # ------------------------------------------------------------------ API

    def api(self, request: Request, endpoint: str) -> Response:
        started = time.monotonic()
        entry = self.sandbox.log.start(endpoint)
        try:
            response = self._api(request, endpoint, entry)
        finally:
            entry.duration_ms = (time.monotonic() - started) * 1000
        entry.status = response.status_code
        return response

    def _api(self, request: Request, endpoint: str, entry: LoggedRequest) -> Response:
        fault = self.sandbox.faults.decide(endpoint)
        if fault is not None:
            entry.fault = fault.mode
            if not fault.after:
                early = self._fault_before(fault)
                if early is not None:
                    return early
        response = self._authenticated_call(request, endpoint, entry)
        if fault is not None and fault.after:
            return self._fault_after(fault, response)
        return response

    def _authenticated_call(
        self, request: Request, endpoint: str, entry: LoggedRequest
    ) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            error = TwentyError("POST body sent invalid JSON.", ErrorCode.BAD_USER_INPUT)
            entry.error_codes.append(str(error.code))
            return json_response(_errors(error), 400)
        entry.operation_name = body.get("operationName")
        token = _token(request)
        authenticated = True
        if token is None:
            # Twenty lets token-less requests without an operationName through to an empty
            # schema; with an operationName its middleware refuses them.
            if endpoint == "metadata" or body.get("operationName"):
                error = TwentyError(
                    "Missing authentication token",
                    ErrorCode.FORBIDDEN,
                    user_friendly_message="You do not have permission to perform this action.",
                )
                entry.error_codes.append(str(error.code))
                return json_response(_errors(error))
            authenticated = False
        elif token != self.sandbox.options.api_key:
            error = TwentyError(
                "Token invalid.",
                ErrorCode.UNAUTHENTICATED,
                user_friendly_message="Your session has expired. Please log in again.",
            )
            entry.error_codes.append(str(error.code))
            return json_response(_errors(error))
        outcome = self.sandbox.run(endpoint, body, authenticated=authenticated, entry=entry)
        return self._graphql_response(request, outcome, entry)

    @staticmethod
    def _graphql_response(
        request: Request, outcome: GraphQLOutcome, entry: LoggedRequest
    ) -> Response:
        entry.operation_name = outcome.operation_name or entry.operation_name
        entry.error_codes = [
            str(e.get("extensions", {}).get("code")) for e in outcome.payload.get("errors", [])
        ]
        status = 200
        wants_spec_status = GRAPHQL_RESPONSE_MEDIA_TYPE in request.headers.get("Accept", "")
        if outcome.stage in ("parse", "validation") and wants_spec_status:
            status = 400
        mimetype = GRAPHQL_RESPONSE_MEDIA_TYPE if wants_spec_status else "application/json"
        # JSON.stringify prints 2.0 as 2; graphql-core's Float output would print 2.0.
        return Response(encode_body(json_ready(outcome.payload)), status, mimetype=mimetype)

    # ------------------------------------------------------------------ faults

    def _fault_before(self, fault: Fault) -> Response | None:
        if fault.mode == "slow":
            time.sleep(fault.delay)
            return None
        if fault.mode == "timeout":
            time.sleep(fault.delay)
            return json_response({"statusCode": 504, "message": "Gateway Timeout"}, 504)
        return self._fault_response(fault)

    def _fault_after(self, fault: Fault, response: Response) -> Response:
        if fault.mode in ("slow", "timeout"):
            time.sleep(fault.delay)
            return response
        return self._fault_response(fault)

    def _fault_response(self, fault: Fault) -> Response:
        if fault.mode == "500":
            error = TwentyError("Internal server error", ErrorCode.INTERNAL_SERVER_ERROR)
            return json_response(_errors(error), 500)
        if fault.mode == "429":
            return json_response(
                {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"},
                429,
                {"Retry-After": str(max(1, round(fault.delay)))},
            )
        limiter = self.sandbox.limiter
        return json_response(_errors(limit_reached(limiter.calls_per_minute, 60_000)))
