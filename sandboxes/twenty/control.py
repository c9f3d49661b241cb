"""Sandbox-only control endpoints under /_sandbox/ (no auth: the server binds 127.0.0.1 only).

They reset or bootstrap the workspace, inspect state and the request log, inject faults,
tune the rate limit, and make changes "by hand" as a workspace member in the Twenty UI
would, so those changes emit webhooks with userId/workspaceMemberId like real UI edits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandboxes.twenty.faults import FaultConfig
from sandboxes.twenty.model import ObjectMeta, pascal
from sandboxes.twenty.sandbox import Sandbox
from sandboxes.twenty.values import json_ready
from sandboxes.twenty.webhooks import encode_body

JsonHandler = Callable[..., tuple[Any, int]]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_body(json_ready(data)), status, headers, mimetype="application/json")


def _json_body(request: Request) -> dict[str, Any]:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    return data


class ControlApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.url_map = Map(
            [
                Rule("/_sandbox/reset", methods=["POST"], endpoint="reset"),
                Rule("/_sandbox/bootstrap", methods=["POST"], endpoint="bootstrap"),
                Rule("/_sandbox/state", methods=["GET"], endpoint="state"),
                Rule("/_sandbox/schema", methods=["GET"], endpoint="schema"),
                Rule("/_sandbox/requests", methods=["GET"], endpoint="requests"),
                Rule("/_sandbox/requests", methods=["DELETE"], endpoint="clear_requests"),
                Rule("/_sandbox/faults", methods=["GET"], endpoint="get_faults"),
                Rule("/_sandbox/faults", methods=["POST"], endpoint="set_faults"),
                Rule("/_sandbox/faults", methods=["DELETE"], endpoint="clear_faults"),
                Rule("/_sandbox/rate-limit", methods=["GET"], endpoint="get_rate_limit"),
                Rule("/_sandbox/rate-limit", methods=["POST"], endpoint="set_rate_limit"),
                Rule("/_sandbox/webhooks", methods=["GET"], endpoint="webhooks"),
                Rule("/_sandbox/webhooks/wait", methods=["POST"], endpoint="wait_webhooks"),
                Rule("/_sandbox/opportunity", methods=["POST"], endpoint="opportunity"),
                Rule("/_sandbox/records/<name>", methods=["GET"], endpoint="list_records"),
                Rule("/_sandbox/records/<name>", methods=["POST"], endpoint="create_record"),
                Rule(
                    "/_sandbox/records/<name>/<record_id>",
                    methods=["PATCH"],
                    endpoint="update_record",
                ),
                Rule(
                    "/_sandbox/records/<name>/<record_id>",
                    methods=["DELETE"],
                    endpoint="delete_record",
                ),
                Rule(
                    "/_sandbox/records/<name>/<record_id>/restore",
                    methods=["POST"],
                    endpoint="restore_record",
                ),
            ]
        )

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        endpoint, values = adapter.match()
        handler: JsonHandler = getattr(self, f"_{endpoint}")
        try:
            data, status = handler(request, **values)
        except ValueError as exc:
            data, status = {"error": str(exc)}, 400
        if isinstance(data, Response):
            return data
        return json_response(data, status)

    # ------------------------------------------------------------------ workspace

    def _reset(self, _request: Request) -> tuple[Any, int]:
        self.sb.reset()
        return {"ok": True, "workspaceId": self.sb.workspace.id}, 200

    def _bootstrap(self, _request: Request) -> tuple[Any, int]:
        self.sb.bootstrap()
        return {"ok": True, **self.sb.state()["customModel"]}, 200

    def _state(self, _request: Request) -> tuple[Any, int]:
        return self.sb.state(), 200

    def _schema(self, _request: Request) -> tuple[Any, int]:
        return Response(self.sb.core_sdl(), 200, mimetype="text/plain"), 200

    def _requests(self, request: Request) -> tuple[Any, int]:
        since = int(request.args.get("since", 0))
        return {"requests": self.sb.log.entries(since), "counts": self.sb.log.counts()}, 200

    def _clear_requests(self, _request: Request) -> tuple[Any, int]:
        self.sb.log.clear()
        return {"ok": True}, 200

    # ------------------------------------------------------------------ faults and limits

    def _get_faults(self, _request: Request) -> tuple[Any, int]:
        return {"active": self.sb.faults.describe(), "injected": self.sb.faults.injected}, 200

    def _set_faults(self, request: Request) -> tuple[Any, int]:
        self.sb.faults.set(FaultConfig.from_json(_json_body(request)))
        return {"active": self.sb.faults.describe()}, 200

    def _clear_faults(self, _request: Request) -> tuple[Any, int]:
        self.sb.faults.clear()
        return {"active": None}, 200

    def _get_rate_limit(self, _request: Request) -> tuple[Any, int]:
        return self.sb.limiter.snapshot(), 200

    def _set_rate_limit(self, request: Request) -> tuple[Any, int]:
        body = _json_body(request)
        per_minute = body.get("calls_per_minute", self.sb.limiter.calls_per_minute)
        per_second = body.get("calls_per_second", self.sb.limiter.calls_per_second)
        if not isinstance(per_minute, int) or per_minute < 1:
            raise ValueError("calls_per_minute must be a positive integer")
        if not isinstance(per_second, int) or per_second < 1:
            raise ValueError("calls_per_second must be a positive integer")
        self.sb.limiter.configure(per_minute, per_second)
        return self.sb.limiter.snapshot(), 200

    # ------------------------------------------------------------------ webhooks

    def _webhooks(self, _request: Request) -> tuple[Any, int]:
        with self.sb.lock:
            webhooks = list(self.sb.workspace.webhooks.values())
        return {
            "webhooks": webhooks,
            "deliveries": [d.as_dict() for d in list(self.sb.dispatcher.deliveries)],
        }, 200

    def _wait_webhooks(self, request: Request) -> tuple[Any, int]:
        timeout = float(_json_body(request).get("timeout", 10))
        return {"idle": self.sb.dispatcher.wait_idle(timeout)}, 200

    # ------------------------------------------------------------------ manual edits

    def _object(self, name: str) -> ObjectMeta:
        obj = self.sb.workspace.object_by_any_name(name)
        if obj is None or not obj.has_records_api or not obj.is_active:
            raise NotFound(f"No object named {name}")
        return obj

    def _mutate(
        self, obj: ObjectMeta, operation: str, signature: str, args: str, variables: dict[str, Any]
    ) -> tuple[Any, int]:
        query = f"mutation Manual({signature}) {{ {operation}({args}) {{ id }} }}"
        payload = self.sb.run_internal(query, variables)
        if payload.get("errors"):
            return {"errors": payload["errors"]}, 400
        record_id = (payload.get("data") or {}).get(operation, {}).get("id")
        with self.sb.lock:
            row = self.sb.store.get(obj.id, record_id) if record_id else None
        return {"record": row}, 200

    def _list_records(self, _request: Request, name: str) -> tuple[Any, int]:
        obj = self._object(name)
        with self.sb.lock:
            return {"records": self.sb.store.rows(obj.id)}, 200

    def _create_record(self, request: Request, name: str) -> tuple[Any, int]:
        obj = self._object(name)
        t = pascal(obj.name_singular)
        data = _json_body(request).get("data", {})
        return self._mutate(
            obj, f"create{t}", f"$data: {t}CreateInput!", "data: $data", {"data": data}
        )

    def _update_record(self, request: Request, name: str, record_id: str) -> tuple[Any, int]:
        obj = self._object(name)
        t = pascal(obj.name_singular)
        data = _json_body(request).get("data", {})
        return self._mutate(
            obj, f"update{t}", f"$id: UUID!, $data: {t}UpdateInput!", "id: $id, data: $data",
            {"id": record_id, "data": data},
        )  # fmt: skip

    def _delete_record(self, request: Request, name: str, record_id: str) -> tuple[Any, int]:
        obj = self._object(name)
        verb = "destroy" if request.args.get("hard") in ("1", "true", "yes") else "delete"
        operation = f"{verb}{pascal(obj.name_singular)}"
        result, status = self._mutate(obj, operation, "$id: UUID!", "id: $id", {"id": record_id})
        if status == 200 and verb == "destroy":
            result = {"record": None, "destroyed": record_id}
        return result, status

    def _restore_record(self, _request: Request, name: str, record_id: str) -> tuple[Any, int]:
        obj = self._object(name)
        operation = f"restore{pascal(obj.name_singular)}"
        return self._mutate(obj, operation, "$id: UUID!", "id: $id", {"id": record_id})

    def _opportunity(self, request: Request) -> tuple[Any, int]:
        """Create or update an opportunity as a user would, e.g. move it to CUSTOMER."""
        body = _json_body(request)
        obj = self._object("opportunity")
        record_id = body.get("id")
        with self.sb.lock:
            exists = bool(record_id) and self.sb.store.get(obj.id, record_id) is not None
        if exists:
            data = {k: v for k, v in body.items() if k != "id"}
            return self._mutate(
                obj, "updateOpportunity", "$id: UUID!, $data: OpportunityUpdateInput!",
                "id: $id, data: $data", {"id": record_id, "data": data},
            )  # fmt: skip
        return self._mutate(
            obj,
            "createOpportunity",
            "$data: OpportunityCreateInput!",
            "data: $data",
            {"data": body},
        )
