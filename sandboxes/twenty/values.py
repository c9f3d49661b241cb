"""Stored record values: defaults, applying create/update input, and the webhook row form.

A stored record is a flat dict keyed like Twenty's returned row: scalar and composite fields
by name, MANY_TO_ONE relations by their join column (`personId`). Values are kept in the
exact form /graphql returns them (ISO timestamps, `YYYY-MM-DD` dates, numeric micros).
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from sandboxes.twenty.errors import bad_input
from sandboxes.twenty.metadata_rules import unquote_sql_literal
from sandboxes.twenty.model import (
    ACTOR_WRITABLE_SUBFIELDS,
    COMPOSITES,
    FieldMeta,
    FieldType,
    ObjectMeta,
    SubfieldKind,
)
from sandboxes.twenty.scalars import is_valid_uuid

# Keys that never count as "updated" in webhooks (NOTES section 6).
NOT_REPORTED_AS_UPDATED = frozenset({"updatedAt", "searchVector"})
SYSTEM_ORDER = (
    "position",
    "createdBy",
    "updatedBy",
    "searchVector",
    "createdAt",
    "updatedAt",
    "deletedAt",
)


def stored_fields(obj: ObjectMeta) -> list[FieldMeta]:
    """Fields that own a column (ONE_TO_MANY relations own none)."""
    return [f for f in obj.fields if not f.is_one_to_many]


def column_of(f: FieldMeta) -> str:
    return f.join_column if f.is_many_to_one else f.name


def _composite_default(f: FieldMeta) -> dict[str, Any]:
    composite = COMPOSITES[f.type]
    value: dict[str, Any] = {
        s.name: "" if s.kind is SubfieldKind.TEXT else None for s in composite.subfields
    }
    if isinstance(f.default_value, dict):
        for key, raw in f.default_value.items():
            if key in value:
                value[key] = unquote_sql_literal(raw)
    return value


def field_default(f: FieldMeta) -> Any:
    """Value of a column that the input did not set (Twenty's column defaults)."""
    if f.type in COMPOSITES:
        return _composite_default(f)
    if f.relation is not None:
        return None
    if f.default_value is None:
        # generateDefaultValue gives TEXT columns an empty string, everything else NULL.
        return "" if f.type is FieldType.TEXT else None
    value = f.default_value
    if f.type is FieldType.MULTI_SELECT and isinstance(value, list):
        return [unquote_sql_literal(v) for v in value]
    return unquote_sql_literal(value)


def new_record(obj: ObjectMeta, actor: dict[str, Any], now: str) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for f in stored_fields(obj):
        record[column_of(f)] = field_default(f)
    record["id"] = str(uuid.uuid4())
    for key in ("createdAt", "updatedAt"):
        if key in record:
            record[key] = now
    for key in ("createdBy", "updatedBy"):
        if key in record:
            record[key] = copy.deepcopy(actor)
    return record


def _check_uuid_column(value: Any) -> None:
    if value is not None and not is_valid_uuid(value):
        raise bad_input(f'invalid input syntax for type uuid: "{value}"')


def apply_input(
    obj: ObjectMeta,
    record: dict[str, Any],
    data: dict[str, Any],
    *,
    creating: bool,
    actor: dict[str, Any],
    connect: Any,
) -> list[str]:
    """Write `data` into `record` in place. Returns the names of the fields the input set.

    `connect(target_object_id, where) -> id` resolves `{connect: {where}}` relation inputs.
    """
    touched: list[str] = []
    by_name = {f.name: f for f in obj.fields}
    by_join = {f.join_column: f for f in obj.fields if f.is_many_to_one}
    for key, value in data.items():
        if key in ("searchVector",):
            continue
        if key == "id":
            if creating and value is not None:
                if not is_valid_uuid(value):
                    raise bad_input(f'Value "{value}" is not a valid UUID', sub_code="INVALID_UUID")
                record["id"] = str(value)
            continue
        if key in by_join:
            _check_uuid_column(value)
            record[key] = value
            touched.append(key)
            continue
        f = by_name.get(key)
        if f is None or f.is_one_to_many:
            continue
        if f.is_many_to_one:
            if f.join_column in data:
                raise bad_input(f"Cannot provide both {f.join_column} and {f.name}")
            record[f.join_column] = _relation_input(f, value, connect)
            touched.append(f.join_column)
            continue
        if f.type is FieldType.ACTOR:
            if value is not None:
                merged = copy.deepcopy(actor)
                merged.update({k: v for k, v in value.items() if k in ACTOR_WRITABLE_SUBFIELDS})
                record[key] = merged
            touched.append(key)
            continue
        if f.type in COMPOSITES and value is not None:
            current = record.get(key) or _composite_default(f)
            merged = dict(current)
            merged.update(value)
            record[key] = merged
        else:
            record[key] = value
        touched.append(key)
    return touched


def _relation_input(f: FieldMeta, value: Any, connect: Any) -> str | None:
    if value is None:
        return None
    if value.get("disconnect"):
        return None
    where = (value.get("connect") or {}).get("where")
    if not where:
        raise bad_input(f"Relation input for {f.name} needs connect.where or disconnect")
    assert f.relation is not None
    return connect(f.relation.target_object_id, where)


def check_not_null(obj: ObjectMeta, record: dict[str, Any]) -> None:
    """Postgres NOT NULL constraints on columns of non-nullable fields."""
    for f in stored_fields(obj):
        column = column_of(f)
        if not f.is_nullable and record.get(column) is None and f.type not in COMPOSITES:
            raise bad_input(
                f'null value in column "{column}" of relation "{obj.name_singular}" '
                "violates not-null constraint"
            )


_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


def search_vector(obj: ObjectMeta, record: dict[str, Any]) -> str:
    """A tsvector-looking rendering of the label identifier and e-mail (good enough to read)."""
    words: list[str] = []
    for f in obj.fields:
        if f.id != obj.label_identifier_field_id and f.type is not FieldType.EMAILS:
            continue
        value = record.get(f.name)
        if isinstance(value, dict):
            texts = [str(v) for v in value.values() if isinstance(v, str)]
        else:
            texts = [str(value)] if value else []
        for text in texts:
            words += [w.lower() for w in _WORD.findall(text)]
    return " ".join(f"'{w}':{i}" for i, w in enumerate(words, start=1))


def json_ready(value: Any) -> Any:
    """Match JSON.stringify: integral floats print without a fraction."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def webhook_row(obj: ObjectMeta, record: dict[str, Any]) -> dict[str, Any]:
    """The `record` of a webhook body: the row with columns in Twenty's usual order."""
    row: dict[str, Any] = {"id": record.get("id")}
    fields = stored_fields(obj)
    standard = [f for f in fields if not f.is_custom and not f.is_system and f.name != "id"]
    for f in standard:
        if not f.is_many_to_one:
            row[f.name] = record.get(f.name)
    for key in SYSTEM_ORDER:
        if key in record:
            row[key] = record[key]
    for f in standard:
        if f.is_many_to_one:
            row[f.join_column] = record.get(f.join_column)
    for f in fields:
        if f.is_custom:
            row[column_of(f)] = record.get(column_of(f))
    return json_ready(copy.deepcopy(row))


def changed_columns(obj: ObjectMeta, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changed = []
    for f in stored_fields(obj):
        column = column_of(f)
        if column in NOT_REPORTED_AS_UPDATED:
            continue
        if before.get(column) != after.get(column):
            changed.append(column)
    return changed
