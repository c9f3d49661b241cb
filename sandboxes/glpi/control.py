"""Sandbox-only control endpoints under /_sandbox/ (no auth; 127.0.0.1 only).

They reset and inspect the simulated GLPI, inject faults, move the clock, switch GLPI
setup options, and play the GLPI side: a technician changing a ticket's status or adding
a followup in the GLPI UI (so the connector has something to pull).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandboxes.glpi.context import Actor, ItemFailure, WriteContext
from sandboxes.glpi.faults import parse_fault
from sandboxes.glpi.items import add_item, update_item
from sandboxes.glpi.jsontypes import JsonObject, JsonValue, as_int, truthy
from sandboxes.glpi.reports import FollowupResult, SandboxState
from sandboxes.glpi.sandbox import Sandbox
from sandboxes.glpi.tickets import STATUSES

LOOPBACK = ("127.0.0.1", "::1")


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def json_response(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _body(request: Request) -> JsonObject:
    if not request.get_data():
        return {}
    try:
        data = json.loads(request.get_data())
    except ValueError as exc:
        raise ControlError("The body must be JSON") from exc
    if not isinstance(data, dict):
        raise ControlError("The body must be a JSON object")
    return data


Handler = Callable[[Request, dict[str, str]], tuple[object, int]]


class ControlApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        rules: list[tuple[str, str, Handler]] = [
            ("/_sandbox/reset", "POST", self.reset),
            ("/_sandbox/state", "GET", self.state),
            ("/_sandbox/requests", "GET", self.requests),
            ("/_sandbox/requests", "DELETE", self.clear_requests),
            ("/_sandbox/faults", "GET", self.get_faults),
            ("/_sandbox/faults", "POST", self.set_faults),
            ("/_sandbox/faults", "DELETE", self.clear_faults),
            ("/_sandbox/config", "GET", self.get_config),
            ("/_sandbox/config", "POST", self.set_config),
            ("/_sandbox/clock", "POST", self.advance_clock),
            ("/_sandbox/sessions/expire", "POST", self.expire_sessions),
            ("/_sandbox/tickets", "POST", self.create_ticket),
            ("/_sandbox/tickets/<int:ticket_id>/status", "POST", self.ticket_status),
            ("/_sandbox/tickets/<int:ticket_id>/followups", "POST", self.ticket_followup),
        ]
        self.handlers: dict[str, Handler] = {}
        url_rules: list[Rule] = []
        for position, (path, method, handler) in enumerate(rules):
            endpoint = f"e{position}"
            self.handlers[endpoint] = handler
            url_rules.append(Rule(path, methods=[method], endpoint=endpoint))
        self.url_map = Map(url_rules)

    def dispatch(self, request: Request) -> Response:
        if request.remote_addr not in LOOPBACK:
            return json_response({"error": "control endpoints are loopback-only"}, 403)
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            arguments = {key: str(value) for key, value in values.items()}
            data, status = self.handlers[str(endpoint)](request, arguments)
        except (NotFound, MethodNotAllowed) as exc:
            return json_response({"error": exc.description}, exc.code or 404)
        except HTTPException as exc:
            return json_response({"error": exc.description}, exc.code or 400)
        except ControlError as exc:
            return json_response({"error": exc.message}, exc.status)
        return json_response(data, status)

    # ------------------------------------------------------------------ lifecycle

    def reset(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        self.sb.reset()
        return {"reset": True}, 200

    def state(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        store, sessions = self.sb.store, self.sb.sessions
        with store.lock:
            records = {
                name: [dict(row) for row in rows.values()] for name, rows in store.tables.items()
            }
            counts = store.counts()
            config = store.config.as_dict()
        state: SandboxState = {
            "counts": counts,
            "records": records,
            "sessions": sessions.describe(),
            "init_session_calls": sessions.init_calls,
            "kill_session_calls": sessions.kill_calls,
            "expired_sessions": sessions.expired,
            "session_idle_seconds": sessions.idle_seconds,
            "clock": {"now": self.sb.clock.now_text(), "offset_seconds": self.sb.clock.offset},
            "config": config,
            "faults": self.sb.faults.current(),
            "faults_injected": self.sb.faults.injected,
            "requests_logged": len(self.sb.log),
        }
        return state, 200

    def requests(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        since = request.args.get("since", "0")
        return self.sb.log.entries(int(since) if since.isdigit() else 0), 200

    def clear_requests(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        self.sb.log.clear()
        return {"cleared": True}, 200

    # ------------------------------------------------------------------ faults/config

    def get_faults(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        return {"fault": self.sb.faults.current(), "injected": self.sb.faults.injected}, 200

    def set_faults(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        body = _body(request)
        try:
            spec = parse_fault(body)
        except ValueError as exc:
            raise ControlError(str(exc)) from exc
        seed = body.get("seed")
        self.sb.faults.set(spec, seed if isinstance(seed, int) else None)
        return {"fault": spec.describe()}, 200

    def clear_faults(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        self.sb.faults.clear()
        return {"fault": None}, 200

    def get_config(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        return self.sb.store.config.as_dict(), 200

    def set_config(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        body = _body(request)
        config = self.sb.store.config
        with self.sb.store.lock:
            for key, value in body.items():
                if key in ("api_enabled", "credentials_login_enabled"):
                    setattr(config, key, bool(value))
                elif key in ("allowed_ips", "mandatory_ticket_fields"):
                    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                        raise ControlError(f"{key} must be a list of strings")
                    setattr(config, key, [str(v) for v in value])
                elif key == "list_limit":
                    if as_int(value) < 1:
                        raise ControlError("list_limit must be a positive integer")
                    config.list_limit = as_int(value)
                else:
                    raise ControlError(f"unknown setting {key!r}")
            return config.as_dict(), 200

    def advance_clock(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        body = _body(request)
        seconds = body.get("advance_seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError("advance_seconds must be a non-negative number")
        self.sb.clock.advance(float(seconds))
        return {"now": self.sb.clock.now_text(), "offset_seconds": self.sb.clock.offset}, 200

    def expire_sessions(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        return {"expired": self.sb.sessions.expire_all()}, 200

    # ------------------------------------------------------------------ the GLPI side

    def _ui_context(self, body: JsonObject) -> WriteContext:
        users_id = as_int(body.get("users_id"), self.sb.options.technician_user_id)
        if self.sb.store.get("User", users_id) is None:
            raise ControlError(f"user {users_id} does not exist")
        return WriteContext(self.sb.store, Actor(users_id, None, 0))

    def create_ticket(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        """A ticket opened in the GLPI UI (helpdesk form): `{"input": {...}, "users_id": 5}`."""
        body = _body(request)
        fields = body.get("input")
        if not isinstance(fields, dict):
            raise ControlError('body must be {"input": {...ticket fields...}}')
        ctx = self._ui_context(body)
        try:
            ticket_id, message = add_item(ctx, "Ticket", fields)
        except ItemFailure as failure:
            return {"error": failure.message, "notes": ctx.notes}, 400
        return {"id": ticket_id, "message": message, "notes": ctx.notes}, 201

    def ticket_status(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        body = _body(request)
        status = body.get("status")
        if isinstance(status, bool) or not isinstance(status, int) or status not in STATUSES:
            raise ControlError("status must be 1..6")
        ctx = self._ui_context(body)
        ticket_id = int(values["ticket_id"])
        if self.sb.store.get("Ticket", ticket_id) is None:
            raise ControlError(f"Ticket {ticket_id} not found", 404)
        try:
            update_item(ctx, "Ticket", ticket_id, {"status": status})
        except ItemFailure as failure:
            return {"error": failure.message, "notes": ctx.notes}, 400
        return self._ticket(ticket_id), 200

    def ticket_followup(self, request: Request, values: dict[str, str]) -> tuple[object, int]:
        body = _body(request)
        ctx = self._ui_context(body)
        ticket_id = int(values["ticket_id"])
        if self.sb.store.get("Ticket", ticket_id) is None:
            raise ControlError(f"Ticket {ticket_id} not found", 404)
        fields: JsonObject = {
            "itemtype": "Ticket",
            "items_id": ticket_id,
            "content": body.get("content", ""),
            "is_private": 1 if truthy(body.get("is_private", False)) else 0,
        }
        if "requesttypes_id" in body:
            fields["requesttypes_id"] = body["requesttypes_id"]
        try:
            followup_id, _ = add_item(ctx, "ITILFollowup", fields)
        except ItemFailure as failure:
            return {"error": failure.message, "notes": ctx.notes}, 400
        followup = self.sb.store.get("ITILFollowup", followup_id)
        result: FollowupResult = {
            "followup": dict(followup or {}),
            "ticket": self._ticket(ticket_id),
        }
        return result, 201

    def _ticket(self, ticket_id: int) -> dict[str, JsonValue]:
        with self.sb.store.lock:
            return dict(self.sb.store.get("Ticket", ticket_id) or {})
