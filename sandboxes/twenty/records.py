"""In-memory tables of records, one per object, with transactional snapshots.

Rows are replaced, never mutated in place, so a snapshot is a cheap shallow copy and a
failed mutation rolls back like a database transaction would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sandboxes.twenty.model import FieldMeta, ObjectMeta
from sandboxes.twenty.values import column_of, field_default

Row = dict[str, Any]


class RecordStore:
    def __init__(self) -> None:
        self._tables: dict[str, dict[str, Row]] = {}
        # Per-table change counters and the value indexes built for them (lookups by a
        # unique field, e.g. `connect` by kgcPartnerId, stay O(1) with 10 000s of rows).
        self._versions: dict[str, int] = {}
        self._indexes: dict[tuple[str, tuple[str, ...]], tuple[int, dict[Any, list[str]]]] = {}

    def _touch(self, object_id: str | None = None) -> None:
        if object_id is None:
            self._indexes.clear()
            return
        self._versions[object_id] = self._versions.get(object_id, 0) + 1

    def find_ids(self, object_id: str, path: tuple[str, ...], value: Any) -> list[str]:
        """Ids of the rows whose value at `path` (e.g. ("emails", "primaryEmail")) equals
        `value`, soft-deleted rows included."""
        version = self._versions.get(object_id, 0)
        cached = self._indexes.get((object_id, path))
        if cached is None or cached[0] != version:
            index: dict[Any, list[str]] = {}
            for row in self.table(object_id).values():
                current: Any = row
                for part in path:
                    current = current.get(part) if isinstance(current, dict) else None
                try:
                    index.setdefault(current, []).append(row["id"])
                except TypeError:  # an unhashable value never equals a scalar we look up
                    continue
            cached = (version, index)
            self._indexes[(object_id, path)] = cached
        try:
            return list(cached[1].get(value, ()))
        except TypeError:
            return []

    def table(self, object_id: str) -> dict[str, Row]:
        return self._tables.setdefault(object_id, {})

    def rows(self, object_id: str) -> list[Row]:
        return list(self.table(object_id).values())

    def get(self, object_id: str, record_id: str) -> Row | None:
        return self.table(object_id).get(record_id)

    def put(self, object_id: str, row: Row) -> None:
        self.table(object_id)[row["id"]] = row
        self._touch(object_id)

    def delete(self, object_id: str, record_id: str) -> Row | None:
        self._touch(object_id)
        return self.table(object_id).pop(record_id, None)

    def counts(self, object_id: str) -> tuple[int, int]:
        """(live rows, soft-deleted rows)."""
        rows = self.rows(object_id)
        deleted = sum(1 for r in rows if r.get("deletedAt"))
        return len(rows) - deleted, deleted

    @contextmanager
    def transaction(self) -> Iterator[None]:
        saved = {object_id: dict(rows) for object_id, rows in self._tables.items()}
        try:
            yield
        except BaseException:
            self._tables = saved
            self._touch()
            raise

    # ----------------------------------------------------- RecordSchemaHooks

    def drop_object(self, object_id: str) -> None:
        self._tables.pop(object_id, None)
        self._touch()

    def add_column(self, obj: ObjectMeta, f: FieldMeta) -> None:
        if f.is_one_to_many:
            return
        column = column_of(f)
        table = self.table(obj.id)
        self._touch()
        for record_id, row in list(table.items()):
            table[record_id] = {**row, column: copy.deepcopy(field_default(f))}

    def drop_column(self, obj: ObjectMeta, f: FieldMeta) -> None:
        if f.is_one_to_many:
            return
        column = column_of(f)
        table = self.table(obj.id)
        self._touch()
        for record_id, row in list(table.items()):
            table[record_id] = {k: v for k, v in row.items() if k != column}

    def rename_column(self, obj: ObjectMeta, old: str, new: str) -> None:
        table = self.table(obj.id)
        self._touch()
        for record_id, row in list(table.items()):
            table[record_id] = {(new if k == old else k): v for k, v in row.items()}
