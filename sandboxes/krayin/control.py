"""Sandbox-only control endpoints under /_sandbox/ (no auth: loopback only).

They reset the instance, inspect state and the request log, inject faults, switch
APP_DEBUG and the rate limit, configure workflow webhooks, and change leads "by hand" as a
salesperson in the Krayin UI would (which fires the same workflow events).
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandboxes.krayin import audit, clock
from sandboxes.krayin.call import Call, as_int, as_text
from sandboxes.krayin.errors import KrayinError
from sandboxes.krayin.faults import FaultConfig
from sandboxes.krayin.leads import move_stage
from sandboxes.krayin.models import JsonObject, JsonValue
from sandboxes.krayin.rendering import json_response
from sandboxes.krayin.resources import lead_resource
from sandboxes.krayin.sandbox import Sandbox
from sandboxes.krayin.seed import CLOSED_STAGE_CODES
from sandboxes.krayin.validation import to_decimal

ControlReply = tuple[JsonValue, int]
ControlHandler = Callable[..., ControlReply]
# The UI user who makes "manual" changes: the seeded second user.
SALESPERSON_ID = 2


def _json_body(request: Request) -> JsonObject:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object")
    return data


class ControlApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.url_map = Map(
            [
                Rule("/_sandbox/reset", methods=["POST"], endpoint="reset"),
                Rule("/_sandbox/state", methods=["GET"], endpoint="state"),
                Rule("/_sandbox/config", methods=["POST"], endpoint="config"),
                Rule("/_sandbox/requests", methods=["GET"], endpoint="requests"),
                Rule("/_sandbox/requests", methods=["DELETE"], endpoint="clear_requests"),
                Rule("/_sandbox/faults", methods=["GET"], endpoint="get_faults"),
                Rule("/_sandbox/faults", methods=["POST"], endpoint="set_faults"),
                Rule("/_sandbox/faults", methods=["DELETE"], endpoint="clear_faults"),
                Rule("/_sandbox/webhooks", methods=["GET"], endpoint="webhooks"),
                Rule("/_sandbox/webhooks", methods=["POST"], endpoint="add_webhook"),
                Rule("/_sandbox/webhooks", methods=["DELETE"], endpoint="clear_webhooks"),
                Rule("/_sandbox/webhooks/wait", methods=["POST"], endpoint="wait_webhooks"),
                Rule("/_sandbox/leads/<int:lead_id>/stage", methods=["POST"], endpoint="stage"),
                Rule("/_sandbox/leads/<int:lead_id>", methods=["PATCH"], endpoint="edit_lead"),
            ]
        )

    def dispatch(self, request: Request) -> Response:
        try:
            endpoint, values = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            return json_response({"error": exc.description}, exc.code or 404)
        handler: ControlHandler = getattr(self, f"_{endpoint}")
        try:
            data, status = handler(request, **values)
        except ValueError as exc:
            data, status = {"error": str(exc)}, 400
        except KrayinError as exc:
            data, status = {"error": type(exc).__name__, "detail": repr(exc)}, 409
        return json_response(data, status)

    # -- instance --------------------------------------------------------------------------

    def _reset(self, _request: Request) -> ControlReply:
        self.sb.reset()
        return {"ok": True}, 200

    def _state(self, _request: Request) -> ControlReply:
        return self.sb.state(), 200

    def _config(self, request: Request) -> ControlReply:
        body = _json_body(request)
        debug = body.get("app_debug")
        limit = body.get("rate_limit")
        if debug is not None and not isinstance(debug, bool):
            raise ValueError("app_debug must be a boolean")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError("rate_limit must be a non-negative integer (0: off)")
        self.sb.configure(app_debug=debug, rate_limit=limit)
        return self.sb.state(), 200

    def _requests(self, request: Request) -> ControlReply:
        since = int(request.args.get("since", 0))
        return {"requests": self.sb.log.entries(since)}, 200

    def _clear_requests(self, _request: Request) -> ControlReply:
        self.sb.log.clear()
        return {"ok": True}, 200

    # -- faults ----------------------------------------------------------------------------

    def _get_faults(self, _request: Request) -> ControlReply:
        return {"active": self.sb.faults.describe(), "injected": self.sb.faults.injected}, 200

    def _set_faults(self, request: Request) -> ControlReply:
        self.sb.faults.set(FaultConfig.from_json(_json_body(request)))
        return {"active": self.sb.faults.describe()}, 200

    def _clear_faults(self, _request: Request) -> ControlReply:
        self.sb.faults.clear()
        return {"active": None}, 200

    # -- webhooks --------------------------------------------------------------------------

    def _webhooks(self, _request: Request) -> ControlReply:
        with self.sb.lock:
            workflows = [w.as_dict() for w in self.sb.workflows.values()]
        deliveries = [d.as_dict() for d in list(self.sb.dispatcher.deliveries)]
        return {"webhooks": list(workflows), "deliveries": list(deliveries)}, 200

    def _add_webhook(self, request: Request) -> ControlReply:
        return self.sb.add_workflow(_json_body(request)).as_dict(), 201

    def _clear_webhooks(self, _request: Request) -> ControlReply:
        with self.sb.lock:
            self.sb.workflows.clear()
            self.sb.dispatcher.deliveries.clear()
        return {"ok": True}, 200

    def _wait_webhooks(self, request: Request) -> ControlReply:
        timeout = _json_body(request).get("timeout", 10)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ValueError("timeout must be a number")
        idle = self.sb.dispatcher.wait_idle(float(timeout))
        deliveries = [d.as_dict() for d in list(self.sb.dispatcher.deliveries)]
        return {"idle": idle, "deliveries": list(deliveries)}, 200

    # -- manual edits ----------------------------------------------------------------------

    def _ui_call(self, body: JsonObject) -> Call:
        db = self.sb.db
        return Call(self.sb, db.users.get(SALESPERSON_ID), body, {}, "")

    def _stage(self, request: Request, lead_id: int) -> ControlReply:
        """`{"stage": "won"}` (a code) or `{"stage_id": 5}`; optional `lost_reason`."""
        body = _json_body(request)
        with self.sb.lock:
            call = self._ui_call(body)
            lead = call.db.leads.get(lead_id)
            if lead is None:
                return {"error": f"no lead {lead_id}"}, 404
            stages = call.db.stages_of(lead.lead_pipeline_id)
            code, stage_id = body.get("stage"), as_int(body.get("stage_id"))
            stage = next((s for s in stages if s.code == code or s.id == stage_id), None)
            if stage is None:
                codes = [s.code for s in stages]
                raise ValueError(f"stage must be one of {codes} (or a stage_id of the pipeline)")
            before = audit.snapshot(lead)
            move_stage(call, lead, stage)
            if "lost_reason" in body and stage.code in CLOSED_STAGE_CODES:
                lead.lost_reason = as_text(body["lost_reason"])
            audit.log_changes(call.db, call.tz, SALESPERSON_ID, before, lead)
            lead.updated_at = clock.now()
            self.sb.emit("lead.update.after", lead)
            return {"data": lead_resource(call.db, lead)}, 200

    def _edit_lead(self, request: Request, lead_id: int) -> ControlReply:
        """Edit fields as in the UI: title, description, lead_value, user_id, lost_reason,
        expected_close_date (`Y-m-d`, app timezone)."""
        body = _json_body(request)
        with self.sb.lock:
            call = self._ui_call(body)
            lead = call.db.leads.get(lead_id)
            if lead is None:
                return {"error": f"no lead {lead_id}"}, 404
            before = audit.snapshot(lead)
            if "title" in body:
                lead.title = as_text(body["title"]) or lead.title
            for key in ("description", "lost_reason"):
                if key in body:
                    setattr(lead, key, as_text(body[key]))
            if "lead_value" in body:
                lead.lead_value = to_decimal(body["lead_value"])
            if "user_id" in body:
                lead.user_id = as_int(body["user_id"])
            if "expected_close_date" in body:
                raw = body["expected_close_date"]
                parsed = clock.parse_local_date(raw, call.tz) if isinstance(raw, str) else None
                if raw is not None and parsed is None:
                    raise ValueError("expected_close_date must be Y-m-d or null")
                lead.expected_close_date = parsed
            audit.log_changes(call.db, call.tz, SALESPERSON_ID, before, lead)
            lead.updated_at = clock.now()
            self.sb.emit("lead.update.after", lead)
            return {"data": lead_resource(call.db, lead)}, 200
