"""The /metadata GraphQL API: the contract's SDL executed against the workspace metadata.

The schema is metadata-subset.graphql verbatim; these resolvers render objects, fields,
indexes and webhooks in its types and route mutations to MetadataService/webhook_admin.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema

from sandboxes.twenty import webhook_admin
from sandboxes.twenty.constraints import column_name, index_name
from sandboxes.twenty.errors import ErrorCode, TwentyError
from sandboxes.twenty.metadata_ops import MetadataService
from sandboxes.twenty.model import FieldMeta, ObjectMeta
from sandboxes.twenty.scalars import install_scalars
from sandboxes.twenty.workspace import Workspace

METADATA_SDL_PATH = Path(__file__).with_name("contract") / "metadata.graphql"

Node = dict[str, Any]


def _cursor(offset: int) -> str:
    return base64.b64encode(f"arrayconnection:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise TwentyError("Invalid cursor", ErrorCode.BAD_USER_INPUT) from None


def page(nodes: list[Node], paging: dict[str, Any] | None) -> dict[str, Any]:
    """nestjs-query CursorPaging over an in-memory list."""
    paging = paging or {}
    start, end = 0, len(nodes)
    if paging.get("after"):
        start = _offset(paging["after"]) + 1
    if paging.get("before"):
        end = min(end, _offset(paging["before"]))
    if paging.get("first") is not None:
        end = min(end, start + paging["first"])
    elif paging.get("last") is not None:
        start = max(start, end - paging["last"])
    edges = [{"node": n, "cursor": _cursor(i)} for i, n in enumerate(nodes) if start <= i < end]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": end < len(nodes),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _comparison(value: Any, condition: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "is": lambda o: value is o,
        "isNot": lambda o: value is not o,
        "eq": lambda o: value == o,
        "neq": lambda o: value != o,
        "gt": lambda o: value > o,
        "gte": lambda o: value >= o,
        "lt": lambda o: value < o,
        "lte": lambda o: value <= o,
        "in": lambda o: value in o,
        "notIn": lambda o: value not in o,
        "like": lambda o: str(o).replace("%", "") in str(value),
        "notLike": lambda o: str(o).replace("%", "") not in str(value),
        "iLike": lambda o: str(o).replace("%", "").lower() in str(value).lower(),
        "notILike": lambda o: str(o).replace("%", "").lower() not in str(value).lower(),
    }
    return all(checks[op](operand) for op, operand in condition.items() if operand is not None)


def matches(node: Node, filter_: dict[str, Any] | None) -> bool:
    for key, condition in (filter_ or {}).items():
        if condition is None:
            continue
        if key == "and" and not all(matches(node, f) for f in condition):
            return False
        if key == "or" and condition and not any(matches(node, f) for f in condition):
            return False
        if key not in ("and", "or") and not _comparison(node.get(key), condition):
            return False
    return True


class MetadataRenderer:
    """Turns metadata into nodes of the /metadata types; nested fields resolve lazily."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def obj(self, o: ObjectMeta) -> Node:
        return {
            "id": o.id,
            "universalIdentifier": o.id,
            "nameSingular": o.name_singular,
            "namePlural": o.name_plural,
            "labelSingular": o.label_singular,
            "labelPlural": o.label_plural,
            "description": o.description,
            "icon": o.icon,
            "standardOverrides": None,
            "shortcut": o.shortcut,
            "color": o.color,
            "isCustom": o.is_custom,
            "isRemote": o.is_remote,
            "isActive": o.is_active,
            "isSystem": o.is_system,
            "isUIReadOnly": o.is_ui_read_only,
            "isSearchable": o.is_searchable,
            "applicationId": self.ws.application_id,
            "createdAt": o.created_at,
            "updatedAt": o.updated_at,
            "labelIdentifierFieldMetadataId": o.label_identifier_field_id,
            "imageIdentifierFieldMetadataId": None,
            "isLabelSyncedWithName": o.is_label_synced_with_name,
            "duplicateCriteria": o.duplicate_criteria,
            "fieldsList": lambda _info: [self.field(f) for f in o.fields],
            "fields": lambda _info, **args: page(
                [n for n in (self.field(f) for f in o.fields) if matches(n, args.get("filter"))],
                args.get("paging"),
            ),
            "indexMetadataList": lambda _info: self.indexes(o),
            "indexMetadatas": lambda _info, **args: page(
                [n for n in self.indexes(o) if matches(n, args.get("filter"))], args.get("paging")
            ),
        }

    def field(self, f: FieldMeta) -> Node:
        return {
            "id": f.id,
            "universalIdentifier": f.id,
            "type": str(f.type),
            "name": f.name,
            "label": f.label,
            "description": f.description,
            "icon": f.icon,
            "standardOverrides": None,
            "isCustom": f.is_custom,
            "isActive": f.is_active,
            "isSystem": f.is_system,
            "isUIReadOnly": f.is_ui_read_only,
            "isNullable": f.is_nullable,
            "isUnique": f.is_unique,
            "defaultValue": f.default_value,
            "options": f.options,
            "settings": f.settings,
            "isLabelSyncedWithName": f.is_label_synced_with_name,
            "morphId": None,
            "createdAt": f.created_at,
            "updatedAt": f.updated_at,
            "applicationId": self.ws.application_id,
            "relation": lambda _info: self.relation(f),
            "morphRelations": None,
            "object": lambda _info: self._object_of(f),
        }

    def _object_of(self, f: FieldMeta) -> Node | None:
        o = self.ws.get_object(f.object_id)
        return self.obj(o) if o else None

    def relation(self, f: FieldMeta) -> Node | None:
        if f.relation is None:
            return None
        source = self.ws.get_object(f.object_id)
        target = self.ws.relation_target(f)
        inverse = self.ws.inverse_field(f)
        if source is None or target is None or inverse is None:
            return None
        return {
            "type": str(f.relation.type),
            "sourceObjectMetadata": self.obj(source),
            "targetObjectMetadata": self.obj(target),
            "sourceFieldMetadata": self.field(f),
            "targetFieldMetadata": self.field(inverse),
        }

    def indexes(self, o: ObjectMeta) -> list[Node]:
        nodes = []
        for f in o.fields:
            paths = f.unique_paths()
            if not paths:
                continue
            index_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"index:{f.id}"))
            where = " AND ".join(f"\"{column_name(p)}\" != ''" for p in paths)
            field_nodes = [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"index-field:{f.id}")),
                    "fieldMetadataId": f.id,
                    "order": 0,
                    "createdAt": f.created_at,
                    "updatedAt": f.updated_at,
                }
            ]
            nodes.append(
                {
                    "id": index_id,
                    "name": index_name(o, f),
                    "isCustom": f.is_custom,
                    "isUnique": True,
                    "indexWhereClause": where,
                    "indexType": "BTREE",
                    "createdAt": f.created_at,
                    "updatedAt": f.updated_at,
                    "indexFieldMetadataList": field_nodes,
                    "objectMetadata": lambda _info, o=o, **args: page(
                        [self.obj(o)], args.get("paging")
                    ),
                    "indexFieldMetadatas": lambda _info, n=field_nodes, **args: page(
                        n, args.get("paging")
                    ),
                }
            )
        return nodes


def _not_found(what: str) -> TwentyError:
    return TwentyError(
        f"{what} not found", ErrorCode.NOT_FOUND, user_friendly_message=f"{what} not found"
    )


def _input_resolver(handler: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
    """Every /metadata mutation takes its payload in one `input` argument."""

    def resolve(_source: Any, _info: Any, **args: Any) -> Any:
        return handler(args["input"])

    return resolve


def build_metadata_schema(
    ws_getter: Callable[[], Workspace], meta_getter: Callable[[], MetadataService]
) -> GraphQLSchema:
    """Build once; resolvers look the current workspace up at call time (reset replaces it)."""
    schema = build_schema(METADATA_SDL_PATH.read_text())
    install_scalars(schema)
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None

    def renderer() -> MetadataRenderer:
        return MetadataRenderer(ws_getter())

    def objects(_s: Any, _i: Any, **args: Any) -> Any:
        r = renderer()
        nodes = [n for n in map(r.obj, r.ws.objects.values()) if matches(n, args.get("filter"))]
        return page(nodes, args.get("paging"))

    def one_object(_s: Any, _i: Any, **args: Any) -> Any:
        o = ws_getter().get_object(args["id"])
        if o is None:
            raise _not_found("Object")
        return renderer().obj(o)

    def fields(_s: Any, _i: Any, **args: Any) -> Any:
        r = renderer()
        nodes = [r.field(f) for o in r.ws.objects.values() for f in o.fields]
        return page([n for n in nodes if matches(n, args.get("filter"))], args.get("paging"))

    def one_field(_s: Any, _i: Any, **args: Any) -> Any:
        found = ws_getter().find_field(args["id"])
        if found is None:
            raise _not_found("Field")
        return renderer().field(found[1])

    def webhooks(_s: Any, _i: Any) -> Any:
        return list(ws_getter().webhooks.values())

    def one_webhook(_s: Any, _i: Any, **args: Any) -> Any:
        return ws_getter().webhooks.get(args["id"])

    resolvers: dict[str, Callable[..., Any]] = {
        "objects": objects,
        "object": one_object,
        "fields": fields,
        "field": one_field,
        "webhooks": webhooks,
        "webhook": one_webhook,
    }
    for name, fn in resolvers.items():
        query.fields[name].resolve = fn

    handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
        "createOneObject": lambda a: renderer().obj(meta_getter().create_object(a["object"])),
        "updateOneObject": lambda a: renderer().obj(
            meta_getter().update_object(a["id"], a["update"])
        ),
        "deleteOneObject": lambda a: renderer().obj(meta_getter().delete_object(a["id"])),
        "createOneField": lambda a: renderer().field(meta_getter().create_field(a["field"])),
        "updateOneField": lambda a: renderer().field(
            meta_getter().update_field(a["id"], a["update"])
        ),
        "deleteOneField": lambda a: renderer().field(meta_getter().delete_field(a["id"])),
        "createWebhook": lambda a: webhook_admin.create_webhook(ws_getter(), a),
        "updateWebhook": lambda a: webhook_admin.update_webhook(ws_getter(), a["id"], a["update"]),
    }
    for name, handler in handlers.items():
        mutation.fields[name].resolve = _input_resolver(handler)
    mutation.fields["deleteWebhook"].resolve = lambda _s, _i, **args: webhook_admin.delete_webhook(
        ws_getter(), args["id"]
    )
    return schema
