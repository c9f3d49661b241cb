"""Wire the generated /graphql schema to the records API.

Root fields map one-to-one onto RecordService methods (Twenty's query runners); each root
field takes one rate-limit token, is logged, and publishes its events once it succeeded.
Relation fields on record types read through the join columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from sandboxes.twenty.errors import ErrorCode, TwentyError
from sandboxes.twenty.model import FieldMeta, ObjectMeta, pascal
from sandboxes.twenty.operations import Actor, MutationResult, RecordEvent, RecordService
from sandboxes.twenty.request_log import LoggedRequest, RootCall
from sandboxes.twenty.workspace import Workspace


@dataclass
class CallContext:
    """Per-request context: who is calling and where effects go."""

    actor: Actor
    emit: Callable[[list[RecordEvent], Actor], None]
    throttle: Callable[[], None] | None = None
    log_entry: LoggedRequest | None = None
    count_call: Callable[[RootCall], None] | None = None


Handler = Callable[[dict[str, Any], CallContext], Any]


def _root(
    field_name: str, kind: str, handler: Handler, *, single: bool = False
) -> Callable[..., Any]:
    def resolve(_source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        ctx: CallContext = info.context
        call = RootCall(field_name, kind)
        if ctx.log_entry is not None:
            ctx.log_entry.calls.append(call)
        if ctx.count_call is not None:
            ctx.count_call(call)
        try:
            if ctx.throttle is not None:
                ctx.throttle()
            result = handler(args, ctx)
        except TwentyError as exc:
            call.error = str(exc.code)
            raise
        if isinstance(result, MutationResult):
            call.records = len(result.rows)
            ctx.emit(result.events, ctx.actor)
            if single:
                return result.rows[0] if result.rows else None
            return result.rows
        if isinstance(result, dict) and "edges" in result:
            call.records = len(result["edges"])
        elif isinstance(result, list):
            call.records = len(result)
        elif result is not None:
            call.records = 1
        return result

    return resolve


def _not_simulated(name: str) -> Handler:
    def handler(_args: dict[str, Any], _ctx: CallContext) -> Any:
        raise TwentyError(
            f"{name} is not simulated by the Twenty sandbox",
            ErrorCode.METHOD_NOT_ALLOWED,
            user_friendly_message=f"{name} is not available in the sandbox.",
        )

    return handler


def _root_handlers(svc: RecordService, obj: ObjectMeta) -> dict[str, tuple[str, Handler, bool]]:
    s, p = obj.name_singular, obj.name_plural
    t, tp = pascal(s), pascal(p)
    handlers: dict[str, tuple[str, Handler, bool]] = {
        p: ("query", lambda a, c: svc.connection(obj, a), False),
        s: ("query", lambda a, c: svc.find_one(obj, a["filter"]), False),
        f"create{tp}": (
            "mutation",
            lambda a, c: svc.create_many(
                obj, a["data"], upsert=bool(a.get("upsert")), actor=c.actor
            ),
            False,
        ),
        f"create{t}": (
            "mutation",
            lambda a, c: svc.create_many(
                obj, [a["data"]], upsert=bool(a.get("upsert")), actor=c.actor
            ),
            True,
        ),
        f"update{t}": (
            "mutation",
            lambda a, c: svc.update_one(obj, a["id"], a["data"], c.actor),
            True,
        ),
        f"update{tp}": (
            "mutation",
            lambda a, c: svc.update_many(obj, a["data"], a["filter"], c.actor),
            False,
        ),
        f"delete{t}": ("mutation", lambda a, c: svc.delete_one(obj, a["id"], c.actor), True),
        f"delete{tp}": ("mutation", lambda a, c: svc.delete_many(obj, a["filter"], c.actor), False),
        f"destroy{t}": ("mutation", lambda a, c: svc.destroy_one(obj, a["id"], c.actor), True),
        f"destroy{tp}": (
            "mutation",
            lambda a, c: svc.destroy_many(obj, a["filter"], c.actor),
            False,
        ),
        f"restore{t}": ("mutation", lambda a, c: svc.restore_one(obj, a["id"], c.actor), True),
        f"restore{tp}": (
            "mutation",
            lambda a, c: svc.restore_many(obj, a["filter"], c.actor),
            False,
        ),
    }
    if obj.duplicate_criteria:
        handlers[f"{s}Duplicates"] = (
            "query",
            lambda a, c: svc.find_duplicates(obj, a.get("ids"), a.get("data")),
            False,
        )
        handlers[f"merge{tp}"] = ("mutation", _not_simulated(f"merge{tp}"), True)
    return handlers


def _relation_resolver(svc: RecordService, f: FieldMeta) -> Callable[..., Any]:
    if f.is_many_to_one:
        return lambda row, _info: svc.many_to_one(f, row)
    return lambda row, _info, **args: svc.one_to_many(f, row, args)


def bind_core_schema(schema: GraphQLSchema, ws: Workspace, svc: RecordService) -> None:
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None
    for obj in ws.api_objects():
        for name, (kind, handler, single) in _root_handlers(svc, obj).items():
            root_type = query if kind == "query" else mutation
            if name in root_type.fields:
                root_type.fields[name].resolve = _root(name, kind, handler, single=single)
        record_type = schema.type_map.get(pascal(obj.name_singular))
        if not isinstance(record_type, GraphQLObjectType):
            continue
        for f in obj.fields:
            if f.relation is not None and f.name in record_type.fields:
                record_type.fields[f.name].resolve = _relation_resolver(svc, f)
