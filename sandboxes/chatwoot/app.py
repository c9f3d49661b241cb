"""The WSGI application: routing, body parsing, authentication, faults, request log.

Every view runs under ``store.lock`` so concurrent requests see consistent state; webhooks
produced by a view are handed to the dispatcher after the view returned, outside the lock.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import api_account, api_contacts, api_conversations, api_platform, auth, control, errors
from .context import Ctx, Reply, Runtime, as_int
from .encoding import rails_json
from .faults import FaultSpec
from .models import RequestRecord
from .timestamps import now

View = Callable[[Ctx], Reply]
# (rule, methods, view) per auth kind.
RouteTable = Iterable[tuple[str, tuple[str, ...], View]]

ACCOUNT_PREFIX = "/api/v1/accounts/<account_id>"


@dataclass(frozen=True)
class _Route:
    kind: str  # account | profile | platform | control
    view: View


class SandboxApp:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._routes: dict[str, _Route] = {}
        rules: list[Rule] = []
        tables: list[tuple[str, str, RouteTable]] = [
            ("account", ACCOUNT_PREFIX, api_contacts.ROUTES),
            ("account", ACCOUNT_PREFIX, api_conversations.ROUTES),
            ("account", ACCOUNT_PREFIX, api_account.ROUTES),
            ("profile", "/api/v1", api_account.PROFILE_ROUTES),
            ("platform", "/platform/api/v1", api_platform.ROUTES),
            ("control", "/_sandbox", control.ROUTES),
        ]
        for kind, prefix, table in tables:
            for path, methods, view in table:
                for method in methods:
                    endpoint = f"{method} {prefix}{path}"
                    self._routes[endpoint] = _Route(kind, view)
                    rules.append(Rule(prefix + path, methods=[method], endpoint=endpoint))
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        response = self.handle(Request(environ))
        return response(environ, start_response)

    # -- request pipeline ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/") or request.path == "/_sandbox":
            return self._dispatch(request)
        record = self._log(request)
        fault = self.runtime.faults.pick(request.method, request.path)
        if fault is None:
            response = self._dispatch(request)
        elif fault.mode == "slow":
            self._sleep(fault.delay)
            response = self._dispatch(request)
        elif fault.apply == "after":
            self._dispatch(request)
            response = self._fault_response(fault)
        else:
            response = self._fault_response(fault)
        with self.runtime.store.lock:
            record.status = response.status_code
            record.fault = fault.mode if fault else None
        return response

    def _log(self, request: Request) -> RequestRecord:
        store = self.runtime.store
        raw = request.get_data(cache=True, as_text=True)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with store.lock:
            record = RequestRecord(
                id=store.next_id("request"),
                at=now(),
                method=request.method,
                path=request.path,
                query=request.query_string.decode("latin-1"),
                body=body,
            )
            store.requests.append(record)
        return record

    def _sleep(self, seconds: float) -> None:
        # Interruptible, so stopping the server does not wait for a simulated hang.
        self.runtime.stopping.wait(seconds)

    def _fault_response(self, fault: FaultSpec) -> Response:
        if fault.mode == "429":
            response = _render(errors.throttled())
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        if fault.mode == "timeout":
            self._sleep(fault.delay)
            return Response(
                "<html><head><title>504 Gateway Time-out</title></head></html>\n",
                status=504,
                content_type="text/html",
            )
        return _render(errors.internal_error())

    def _dispatch(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException:
            # Rails answers unknown routes (and wrong verbs) with its static 404 page.
            return Response(
                "The page you were looking for doesn't exist.\n",
                status=404,
                content_type="text/html",
            )
        route = self._routes[str(endpoint)]
        try:
            ctx = Ctx(self.runtime, request, _params(request), dict(args))
            if route.view in control.UNLOCKED:
                reply = route.view(ctx)
            else:
                with self.runtime.store.lock:
                    self._authenticate(route.kind, ctx)
                    reply = route.view(ctx)
        except errors.ApiError as exc:
            return _render(exc)
        except Exception:  # a bug in the sandbox: answer like Rails would, and say why
            traceback.print_exc(file=sys.stderr)
            return _render(errors.internal_error())
        self.runtime.dispatcher.publish(ctx.events)
        if isinstance(reply, Response):
            return reply
        status, body = reply
        if body is None:
            return Response(b"", status=status)
        return Response(
            rails_json(body), status=status, content_type="application/json; charset=utf-8"
        )

    def _authenticate(self, kind: str, ctx: Ctx) -> None:
        store, headers = ctx.store, ctx.request.headers
        if kind == "account":
            account_id = as_int(ctx.args.get("account_id"))
            if account_id is None:
                raise errors.not_found()
            ctx.principal = auth.authenticate_account(store, headers, account_id)
        elif kind == "profile":
            auth.authenticate_user(store, headers)
        elif kind == "platform":
            auth.authenticate_platform(store, headers)


def _params(request: Request) -> dict[str, Any]:
    """Rails ``params``: query string merged with the body. JSON is parsed only for a JSON
    content type (malformed JSON is Rails' 400); form bodies are read as flat fields."""
    params: dict[str, Any] = {key: request.args.get(key) for key in request.args}
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        raw = request.get_data(cache=True)
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise errors.rails_status(400, "Bad Request") from exc
            params.update(body if isinstance(body, dict) else {"_json": body})
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update({key: request.form.get(key) for key in request.form})
    return params


def _render(error: errors.ApiError) -> Response:
    if error.content_type == "application/json":
        return Response(
            rails_json(error.body),
            status=error.status,
            content_type="application/json; charset=utf-8",
        )
    return Response(str(error.body), status=error.status, content_type=error.content_type)
