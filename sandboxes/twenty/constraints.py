"""Database constraints Twenty's Postgres enforces: unique indexes and relation foreign keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sandboxes.twenty.errors import ErrorCode, TwentyError, bad_input
from sandboxes.twenty.model import FieldMeta, ObjectMeta, pascal
from sandboxes.twenty.records import RecordStore
from sandboxes.twenty.workspace import Workspace


def table_name(obj: ObjectMeta) -> str:
    # Custom objects live in tables prefixed with an underscore.
    return f"_{obj.name_singular}" if obj.is_custom else obj.name_singular


def column_name(path: tuple[str, ...]) -> str:
    """emails.primaryEmail is stored in the column emailsPrimaryEmail."""
    head, *rest = path
    return head + "".join(pascal(p) for p in rest)


def index_name(obj: ObjectMeta, f: FieldMeta, *, unique: bool = True) -> str:
    """generateDeterministicIndexName: sha256 of [table, ...columns], first 27 hex digits."""
    columns = [column_name(p) for p in f.unique_paths()] or [f.name]
    digest = hashlib.sha256(
        json.dumps([table_name(obj), *columns], separators=(",", ":")).encode()
    ).hexdigest()[:27]
    return f"IDX_{'UNIQUE_' if unique else ''}{digest}"


def path_value(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = row
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _key(row: dict[str, Any], paths: list[tuple[str, ...]]) -> tuple[Any, ...] | None:
    values = tuple(path_value(row, p) for p in paths)
    # NULL never conflicts in Postgres, and empty strings are outside Twenty's unique indexes.
    if any(v is None or v == "" for v in values):
        return None
    return values


def check_unique(store: RecordStore, obj: ObjectMeta, touched_ids: list[str]) -> None:
    """Raise Twenty's duplicate-entry error when a touched row repeats a unique value.

    Soft-deleted rows still hold their values, so they still conflict (upsert restores them).
    """
    rows = store.rows(obj.id)
    for f in obj.fields:
        paths = f.unique_paths()
        if not paths:
            continue
        owners: dict[tuple[Any, ...], list[str]] = {}
        for row in rows:
            key = _key(row, paths)
            if key is not None:
                owners.setdefault(key, []).append(row["id"])
        for record_id in touched_ids:
            row = store.get(obj.id, record_id)
            key = _key(row, paths) if row else None
            if key is None or len(owners.get(key, [])) < 2:
                continue
            other = next(i for i in owners[key] if i != record_id)
            raise TwentyError(
                f"A duplicate entry was detected: unique constraint "
                f"{obj.name_singular}.{index_name(obj, f)} was violated",
                ErrorCode.BAD_USER_INPUT,
                user_friendly_message=(
                    f"This {f.label} value is already in use. Please check your data and try again."
                ),
                extra={
                    "conflictingRecordId": other,
                    "conflictingObjectNameSingular": obj.name_singular,
                },
            )


def check_foreign_keys(
    ws: Workspace, store: RecordStore, obj: ObjectMeta, row: dict[str, Any]
) -> None:
    for f in obj.fields:
        if not f.is_many_to_one:
            continue
        value = row.get(f.join_column)
        target = ws.relation_target(f)
        if value is None or target is None or not target.has_records_api:
            continue
        if store.get(target.id, value) is None:
            digest = hashlib.sha256(f"{obj.id}:{f.join_column}".encode()).hexdigest()[:27]
            raise bad_input(
                f'insert or update on table "{table_name(obj)}" violates foreign key '
                f'constraint "FK_{digest}"'
            )


def null_dangling_references(
    ws: Workspace, store: RecordStore, target: ObjectMeta, record_id: str
) -> None:
    """onDelete SET_NULL: a destroyed row's referrers lose their join column value."""
    for obj in ws.objects.values():
        for f in obj.fields:
            if (
                not f.is_many_to_one
                or f.relation is None
                or f.relation.target_object_id != target.id
            ):
                continue
            for row in store.rows(obj.id):
                if row.get(f.join_column) == record_id:
                    store.put(obj.id, {**row, f.join_column: None})
