"""The whole simulated Twenty instance: one workspace, its records, limits, faults and log.

All state sits behind one re-entrant lock; a GraphQL document runs entirely under it, which
serialises requests the way a single database transaction per call would isolate them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.error import GraphQLSyntaxError
from graphql.language import DocumentNode, FieldNode, SelectionSetNode

from sandboxes.twenty.custom_model import apply_kgc_model
from sandboxes.twenty.errors import ErrorCode, TwentyError, format_graphql_error
from sandboxes.twenty.faults import FaultInjector
from sandboxes.twenty.filters import QUERY_MAX_RECORDS
from sandboxes.twenty.limits import DEFAULT_CALLS_PER_MINUTE, DEFAULT_CALLS_PER_SECOND, RateLimiter
from sandboxes.twenty.metadata_api import build_metadata_schema
from sandboxes.twenty.metadata_ops import MetadataService
from sandboxes.twenty.operations import Actor, RecordEvent, RecordService
from sandboxes.twenty.records import RecordStore
from sandboxes.twenty.request_log import LoggedRequest, RequestLog
from sandboxes.twenty.resolvers import CallContext, bind_core_schema
from sandboxes.twenty.scalars import install_scalars
from sandboxes.twenty.sdl import build_core_sdl
from sandboxes.twenty.standard_model import seed_standard_objects
from sandboxes.twenty.webhooks import WebhookDispatcher
from sandboxes.twenty.workspace import Workspace

# GRAPHQL_MAX_ROOT_RESOLVERS and GRAPHQL_MAX_FIELDS (NOTES section 7).
MAX_ROOT_RESOLVERS = 20
MAX_FIELDS = 2000

# Without a token Twenty serves an empty schema, so any records query fails validation.
_UNAUTHENTICATED_SDL = "type Query { _unauthenticated: Boolean }"


@dataclass
class SandboxOptions:
    api_key: str = "sandbox-api-key"
    # The API key's name, which Twenty writes into createdBy/updatedBy.name.
    api_key_name: str = "Sandbox API key"
    calls_per_minute: int = DEFAULT_CALLS_PER_MINUTE
    calls_per_second: int = DEFAULT_CALLS_PER_SECOND
    batch_limit: int = QUERY_MAX_RECORDS
    max_root_resolvers: int = MAX_ROOT_RESOLVERS
    webhook_allowed_hosts: frozenset[str] | None = None
    bootstrap: bool = False


@dataclass
class GraphQLOutcome:
    payload: dict[str, Any]
    # "ok", "parse" or "validation": the HTTP layer may answer the last two with 400.
    stage: str = "ok"
    operation_name: str | None = None


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.lock = threading.RLock()
        self.limiter = RateLimiter(self.options.calls_per_minute, self.options.calls_per_second)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.dispatcher = WebhookDispatcher(allowed_hosts=self.options.webhook_allowed_hosts)
        self._core_schema: tuple[int, GraphQLSchema] | None = None
        self.metadata_schema = build_metadata_schema(lambda: self.workspace, lambda: self.meta)
        self._anonymous_schema = build_schema(_UNAUTHENTICATED_SDL)
        self.reset()
        if self.options.bootstrap:
            self.bootstrap()

    # ------------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """A brand-new workspace: standard objects only, no records, no webhooks."""
        with self.lock:
            self.workspace = Workspace()
            self.store = RecordStore()
            self.meta = MetadataService(self.workspace, self.store)
            seed_standard_objects(self.meta)
            self.records = RecordService(
                self.workspace, self.store, batch_limit=self.options.batch_limit
            )
            self._core_schema = None
            self.faults.clear()
            self.log.clear()
            self.dispatcher.clear_log()
            self.limiter.configure(self.limiter.calls_per_minute, self.limiter.calls_per_second)

    def bootstrap(self) -> None:
        with self.lock:
            apply_kgc_model(self.meta)

    def close(self) -> None:
        self.dispatcher.stop()

    # ------------------------------------------------------------------ actors

    def api_actor(self) -> Actor:
        return Actor("API", self.options.api_key_name)

    def manual_actor(self) -> Actor:
        member = self.workspace.member
        return Actor("MANUAL", member.full_name, member.id, member.user_id)

    def emit(self, events: list[RecordEvent], actor: Actor) -> None:
        self.dispatcher.enqueue(
            events, list(self.workspace.webhooks.values()), self.workspace.id, actor.user_id
        )

    # ------------------------------------------------------------------ schemas

    def core_schema(self) -> GraphQLSchema:
        """The /graphql schema for the current metadata version (rebuilt when it moves)."""
        with self.lock:
            version = self.workspace.version
            if self._core_schema is None or self._core_schema[0] != version:
                schema = build_schema(build_core_sdl(self.workspace))
                install_scalars(schema)
                bind_core_schema(schema, self.workspace, self.records)
                self._core_schema = (version, schema)
            return self._core_schema[1]

    def core_sdl(self) -> str:
        with self.lock:
            return build_core_sdl(self.workspace)

    # ------------------------------------------------------------------ execution

    def run(
        self,
        endpoint: str,
        body: dict[str, Any],
        *,
        authenticated: bool = True,
        actor: Actor | None = None,
        entry: LoggedRequest | None = None,
        throttled: bool = True,
    ) -> GraphQLOutcome:
        with self.lock:
            if not authenticated:
                schema = self._anonymous_schema
            elif endpoint == "metadata":
                schema = self.metadata_schema
            else:
                schema = self.core_schema()
            context = CallContext(
                actor=actor or self.api_actor(),
                emit=self.emit,
                throttle=self.limiter.consume if throttled and endpoint == "graphql" else None,
                log_entry=entry,
                count_call=self.log.count_call if entry is not None else None,
            )
            return _run_document(schema, body, context, self.options.max_root_resolvers)

    def run_internal(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Execute a mutation as a workspace member in the UI would (no token, no throttle)."""
        outcome = self.run(
            "graphql",
            {"query": query, "variables": variables},
            actor=self.manual_actor(),
            throttled=False,
        )
        return outcome.payload

    # ------------------------------------------------------------------ inspection

    def state(self) -> dict[str, Any]:
        with self.lock:
            ws = self.workspace
            objects = {}
            for obj in ws.api_objects():
                live, deleted = self.store.counts(obj.id)
                objects[obj.name_singular] = {"records": live, "deleted": deleted}
            person = ws.object_named("person")
            return {
                "workspaceId": ws.id,
                "metadataVersion": ws.version,
                "customModel": {
                    "personFields": [f.name for f in person.fields if f.is_custom]
                    if person
                    else [],
                    "customObjects": [o.name_singular for o in ws.objects.values() if o.is_custom],
                },
                "objects": objects,
                "calls": self.log.counts(),
                "rateLimit": self.limiter.snapshot(),
                "faults": {"active": self.faults.describe(), "injected": self.faults.injected},
                "webhooks": [
                    {"id": w["id"], "targetUrl": w["targetUrl"], "operations": w["operations"]}
                    for w in ws.webhooks.values()
                ],
                "deliveries": len(self.dispatcher.deliveries),
            }


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def _root_field_count(operation: OperationDefinitionNode) -> int:
    return sum(
        1
        for s in operation.selection_set.selections
        if isinstance(s, FieldNode) and not s.name.value.startswith("__")
    )


def _field_count(document: DocumentNode) -> int:
    """Fields selected anywhere in the document (fragments counted where they are defined)."""

    def count(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            total += 1 if isinstance(selection, FieldNode) else 0
            total += count(getattr(selection, "selection_set", None))
        return total

    return sum(count(getattr(d, "selection_set", None)) for d in document.definitions)


def _too_complex(message: str, operation_name: str | None) -> GraphQLOutcome:
    error = TwentyError(f"Query too complex - {message}", ErrorCode.BAD_USER_INPUT)
    return GraphQLOutcome({"errors": [error.as_response_error()]}, "ok", operation_name)


def _run_document(
    schema: GraphQLSchema, body: dict[str, Any], context: CallContext, max_root: int
) -> GraphQLOutcome:
    query = body.get("query")
    operation_name = body.get("operationName")
    variables = body.get("variables")
    if not isinstance(query, str) or not query.strip():
        error = TwentyError("Must provide query string.", ErrorCode.BAD_USER_INPUT)
        return GraphQLOutcome({"errors": [error.as_response_error()]}, "parse", operation_name)
    if variables is not None and not isinstance(variables, dict):
        error = TwentyError("Variables must be an object.", ErrorCode.BAD_USER_INPUT)
        return GraphQLOutcome({"errors": [error.as_response_error()]}, "parse", operation_name)
    try:
        document = parse(query)
    except GraphQLSyntaxError as exc:
        formatted = format_graphql_error(exc, ErrorCode.GRAPHQL_PARSE_FAILED)
        return GraphQLOutcome({"errors": [formatted]}, "parse", operation_name)
    operation = _operation(document, operation_name)
    if operation is not None and operation.name is not None:
        operation_name = operation.name.value
    errors = validate(schema, document)
    if errors:
        formatted_errors = [
            format_graphql_error(e, ErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors
        ]
        return GraphQLOutcome({"errors": formatted_errors}, "validation", operation_name)
    if operation is not None and _root_field_count(operation) > max_root:
        requested = _root_field_count(operation)
        return _too_complex(
            f"Too many root resolvers requested: {requested}, maximum allowed: {max_root}",
            operation_name,
        )
    if _field_count(document) > MAX_FIELDS:
        return _too_complex(
            f"Too many fields requested: {_field_count(document)}, maximum allowed: {MAX_FIELDS}",
            operation_name,
        )
    result = execute(
        schema,
        document,
        variable_values=variables,
        operation_name=operation_name,
        context_value=context,
    )
    payload: dict[str, Any] = {}
    if result.data is not None:
        payload["data"] = result.data
    if result.errors:
        # Errors before execution (variable coercion, operation choice) are the caller's input.
        default = (
            ErrorCode.BAD_USER_INPUT if result.data is None else ErrorCode.INTERNAL_SERVER_ERROR
        )
        payload["errors"] = [format_graphql_error(e, default) for e in result.errors]
    return GraphQLOutcome(payload, "ok", operation_name)
