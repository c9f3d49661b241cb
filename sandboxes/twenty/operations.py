"""The records API of one workspace: what each generated query and mutation does.

Each public method is one of Twenty's query runners (find many/one/duplicates, create many
with upsert, update/delete/destroy/restore one or many). Every mutation runs in a store
transaction and emits its database events only when it succeeds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandboxes.twenty.clock import now_iso
from sandboxes.twenty.constraints import (
    check_foreign_keys,
    check_unique,
    column_name,
    null_dangling_references,
    path_value,
)
from sandboxes.twenty.errors import ErrorCode, TwentyError, bad_input, record_not_found
from sandboxes.twenty.filters import (
    QUERY_MAX_RECORDS_FROM_RELATION,
    encode_cursor,
    filter_rows,
    paginate,
    sort_keys,
    sort_rows,
)
from sandboxes.twenty.model import COMPOSITES, FieldMeta, ObjectMeta
from sandboxes.twenty.records import RecordStore, Row
from sandboxes.twenty.values import (
    apply_input,
    changed_columns,
    check_not_null,
    new_record,
    search_vector,
    webhook_row,
)
from sandboxes.twenty.workspace import Workspace


@dataclass(frozen=True)
class Actor:
    """Who made a change: an API key, or a workspace member clicking in the UI."""

    source: str
    name: str
    workspace_member_id: str | None = None
    user_id: str | None = None

    def value(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "workspaceMemberId": self.workspace_member_id,
            "name": self.name,
            "context": {},
        }


@dataclass
class RecordEvent:
    object_id: str
    object_name: str
    action: str
    record: dict[str, Any]
    actor: Actor
    updated_fields: list[str] | None = None

    @property
    def event_name(self) -> str:
        return f"{self.object_name}.{self.action}"


@dataclass
class MutationResult:
    rows: list[Row]
    events: list[RecordEvent] = field(default_factory=list)


class RecordService:
    def __init__(self, ws: Workspace, store: RecordStore, *, batch_limit: int) -> None:
        self.ws = ws
        self.store = store
        self.batch_limit = batch_limit

    # ------------------------------------------------------------------ reads

    def connection(
        self,
        obj: ObjectMeta,
        args: dict[str, Any],
        *,
        extra_filter: dict[str, Any] | None = None,
        max_first: int | None = None,
    ) -> dict[str, Any]:
        filter_ = args.get("filter")
        if extra_filter:
            filter_ = {"and": [extra_filter, filter_]} if filter_ else extra_filter
        rows = filter_rows(obj, self.store.rows(obj.id), filter_)
        keys = sort_keys(obj, args.get("orderBy"))
        page = paginate(keys, rows, args, max_first=max_first)
        edges = [{"cursor": encode_cursor(keys, r), "node": r} for r in page.rows]
        return {
            "totalCount": page.total,
            "edges": edges,
            "pageInfo": {
                "hasNextPage": page.has_next,
                "hasPreviousPage": page.has_previous,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    def find_one(self, obj: ObjectMeta, filter_: dict[str, Any]) -> Row:
        rows = filter_rows(obj, self.store.rows(obj.id), filter_)
        if not rows:
            raise record_not_found()
        return sort_rows(sort_keys(obj, None), rows)[0]

    def many_to_one(self, f: FieldMeta, row: Row) -> Row | None:
        target = self.ws.relation_target(f)
        value = row.get(f.join_column)
        if target is None or value is None:
            return None
        found = self.store.get(target.id, value)
        return found if found is not None and not found.get("deletedAt") else None

    def one_to_many(self, f: FieldMeta, row: Row, args: dict[str, Any]) -> dict[str, Any] | None:
        target = self.ws.relation_target(f)
        inverse = self.ws.inverse_field(f)
        if target is None or inverse is None:
            return None
        return self.connection(
            target,
            args,
            extra_filter={inverse.join_column: {"eq": row["id"]}},
            max_first=QUERY_MAX_RECORDS_FROM_RELATION,
        )

    def find_duplicates(
        self, obj: ObjectMeta, ids: list[str] | None, data: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        if bool(ids) == bool(data):
            raise bad_input("You need to provide either ids or data")
        probes: list[Row] = []
        for record_id in ids or []:
            found = self.store.get(obj.id, record_id)
            if found is None or found.get("deletedAt"):
                raise record_not_found()
            probes.append(found)
        for item in data or []:
            probe = new_record(obj, Actor("API", "").value(), now_iso())
            apply_input(obj, probe, item, creating=True, actor={}, connect=lambda *_: None)
            probes.append(probe)
        paths = self._column_paths(obj)
        results = []
        for probe in probes:
            groups = [
                [paths[c] for c in group if c in paths] for group in obj.duplicate_criteria or []
            ]
            candidates = [
                r
                for r in filter_rows(obj, self.store.rows(obj.id), None)
                if r["id"] != probe["id"] and any(_same(probe, r, g) for g in groups if g)
            ]
            ids_found = {r["id"] for r in candidates}
            results.append(
                self.connection(obj, {"first": 60}, extra_filter={"id": {"in": list(ids_found)}})
                if ids_found
                else self.connection(obj, {"first": 0})
            )
        return results

    @staticmethod
    def _column_paths(obj: ObjectMeta) -> dict[str, tuple[str, ...]]:
        paths: dict[str, tuple[str, ...]] = {}
        for f in obj.fields:
            composite = COMPOSITES.get(f.type)
            if composite is None:
                paths[f.name] = (f.name,)
            else:
                for s in composite.subfields:
                    paths[column_name((f.name, s.name))] = (f.name, s.name)
        return paths

    # ------------------------------------------------------------------ writes

    def create_many(
        self, obj: ObjectMeta, data: list[dict[str, Any]], *, upsert: bool, actor: Actor
    ) -> MutationResult:
        if len(data) > self.batch_limit:
            raise bad_input(
                f"Maximum number of records to upsert is {self.batch_limit}.",
                sub_code="TOO_MANY_RECORDS_TO_UPDATE",
            )
        result = MutationResult([])
        with self.store.transaction():
            existing = self.store.rows(obj.id) if upsert else []
            groups = self._conflict_groups(obj) if upsert else []
            # The rows as they were before this call, indexed once per conflict group.
            indexes = self._group_indexes(groups, existing)
            position = self._first_position(obj)
            touched: list[str] = []
            for item in data:
                match = self._matching_row(obj, item, groups, indexes) if upsert else None
                if match is not None:
                    before = self.store.get(obj.id, match) or {}
                    update = {k: v for k, v in item.items() if k not in ("id", "createdBy")}
                    row = self._write(obj, before, update, actor, creating=False)
                    row["deletedAt"] = None
                    self.store.put(obj.id, row)
                    result.events.append(self._updated(obj, before, row, actor))
                else:
                    row = new_record(obj, actor.value(), now_iso())
                    if "position" in row:
                        position -= 1
                        row["position"] = position
                    row = self._write(obj, row, item, actor, creating=True)
                    if self.store.get(obj.id, row["id"]) is not None:
                        self._raise_duplicate_id(obj, row["id"])
                    self.store.put(obj.id, row)
                    result.events.append(self._event(obj, "created", row, actor))
                touched.append(row["id"])
                result.rows.append(row)
            check_unique(self.store, obj, touched)
        # Re-read: with upsert, two inputs may have updated the same row.
        result.rows = [self.store.get(obj.id, r["id"]) or r for r in result.rows]
        return result

    def update_one(
        self, obj: ObjectMeta, record_id: str, data: dict[str, Any], actor: Actor
    ) -> MutationResult:
        before = self._live_row(obj, record_id)
        with self.store.transaction():
            row = self._write(obj, before, data, actor, creating=False)
            self.store.put(obj.id, row)
            check_unique(self.store, obj, [row["id"]])
        return MutationResult([row], [self._updated(obj, before, row, actor)])

    def update_many(
        self, obj: ObjectMeta, data: dict[str, Any], filter_: dict[str, Any], actor: Actor
    ) -> MutationResult:
        targets = self._targets(obj, filter_, "update")
        result = MutationResult([])
        with self.store.transaction():
            for before in targets:
                row = self._write(obj, before, data, actor, creating=False)
                self.store.put(obj.id, row)
                result.rows.append(row)
                result.events.append(self._updated(obj, before, row, actor))
            check_unique(self.store, obj, [r["id"] for r in result.rows])
        return result

    def soft_delete(self, obj: ObjectMeta, rows: list[Row], actor: Actor) -> MutationResult:
        result = MutationResult([])
        now = now_iso()
        for before in rows:
            row = {**before, "deletedAt": now}
            self.store.put(obj.id, row)
            result.rows.append(row)
            result.events.append(self._event(obj, "deleted", row, actor, ["deletedAt"]))
        return result

    def delete_one(self, obj: ObjectMeta, record_id: str, actor: Actor) -> MutationResult:
        return self.soft_delete(obj, [self._live_row(obj, record_id)], actor)

    def delete_many(self, obj: ObjectMeta, filter_: dict[str, Any], actor: Actor) -> MutationResult:
        rows = [r for r in self._targets(obj, filter_, "delete") if not r.get("deletedAt")]
        return self.soft_delete(obj, rows, actor)

    def destroy(self, obj: ObjectMeta, rows: list[Row], actor: Actor) -> MutationResult:
        result = MutationResult([])
        for row in rows:
            self.store.delete(obj.id, row["id"])
            null_dangling_references(self.ws, self.store, obj, row["id"])
            result.rows.append(row)
            result.events.append(self._event(obj, "destroyed", row, actor))
        return result

    def destroy_one(self, obj: ObjectMeta, record_id: str, actor: Actor) -> MutationResult:
        row = self.store.get(obj.id, record_id)
        if row is None:
            raise record_not_found()
        return self.destroy(obj, [row], actor)

    def destroy_many(
        self, obj: ObjectMeta, filter_: dict[str, Any], actor: Actor
    ) -> MutationResult:
        return self.destroy(obj, self._targets(obj, filter_, "destroy"), actor)

    def restore(self, obj: ObjectMeta, rows: list[Row], actor: Actor) -> MutationResult:
        result = MutationResult([])
        for before in rows:
            row = {**before, "deletedAt": None}
            self.store.put(obj.id, row)
            result.rows.append(row)
            result.events.append(self._event(obj, "restored", row, actor, ["deletedAt"]))
        return result

    def restore_one(self, obj: ObjectMeta, record_id: str, actor: Actor) -> MutationResult:
        row = self.store.get(obj.id, record_id)
        if row is None:
            raise record_not_found()
        return self.restore(obj, [row], actor)

    def restore_many(
        self, obj: ObjectMeta, filter_: dict[str, Any], actor: Actor
    ) -> MutationResult:
        # Restoring looks in the trash even when the filter does not mention deletedAt.
        scoped = {"and": [filter_, {"deletedAt": {"is": "NOT_NULL"}}]}
        return self.restore(obj, self._targets(obj, scoped, "restore"), actor)

    # ------------------------------------------------------------------ helpers

    def _targets(self, obj: ObjectMeta, filter_: dict[str, Any], verb: str) -> list[Row]:
        rows = filter_rows(obj, self.store.rows(obj.id), filter_)
        if len(rows) > self.batch_limit:
            raise bad_input(
                f"Cannot {verb} more than {self.batch_limit} records at once",
                sub_code="TOO_MANY_RECORDS_TO_UPDATE",
            )
        return sort_rows(sort_keys(obj, None), rows)

    def _live_row(self, obj: ObjectMeta, record_id: str) -> Row:
        row = self.store.get(obj.id, record_id)
        if row is None or row.get("deletedAt"):
            raise record_not_found()
        return row

    def _write(
        self, obj: ObjectMeta, before: Row, data: dict[str, Any], actor: Actor, *, creating: bool
    ) -> Row:
        row = copy.deepcopy(before)
        apply_input(obj, row, data, creating=creating, actor=actor.value(), connect=self._connect)
        now = now_iso()
        if not creating:
            row["updatedAt"] = now
            if "updatedBy" in row:
                row["updatedBy"] = actor.value()
        if "position" in data and "position" in row:
            row["position"] = self._position(obj, data["position"], row["id"])
        if "searchVector" in row:
            row["searchVector"] = search_vector(obj, row)
        check_not_null(obj, row)
        check_foreign_keys(self.ws, self.store, obj, row)
        return row

    def _position(self, obj: ObjectMeta, value: Any, record_id: str) -> float | int:
        if value == "first":
            return self._first_position(obj, exclude=record_id) - 1
        if value == "last":
            positions = [
                r.get("position") or 0 for r in self.store.rows(obj.id) if r["id"] != record_id
            ]
            return max(positions, default=0) + 1
        return value

    def _first_position(self, obj: ObjectMeta, exclude: str | None = None) -> float | int:
        positions = [r.get("position") or 0 for r in self.store.rows(obj.id) if r["id"] != exclude]
        return min(positions, default=1)

    def _connect(self, target_object_id: str, where: dict[str, Any]) -> str:
        target = self.ws.get_object(target_object_id)
        if target is None:
            raise bad_input("Relation target does not exist")
        wanted = []
        for key, value in where.items():
            if isinstance(value, dict):
                wanted += [((key, sub), v) for sub, v in value.items() if v is not None]
            elif value is not None:
                wanted.append(((key,), value))
        if not wanted:
            raise bad_input(f"Connect to {target.name_singular} needs a unique field in where")
        # Candidates from the value index of the first key, then the full condition.
        first_path, first_value = wanted[0]
        candidates = [self.store.get(target.id, i) for i in
                      self.store.find_ids(target.id, first_path, first_value)]
        found = [
            r
            for r in candidates
            if r is not None and all(path_value(r, path) == value for path, value in wanted)
        ]
        if len(found) != 1:
            raise TwentyError(
                f"Expected 1 record to connect to {target.name_singular}, but found {len(found)}.",
                ErrorCode.BAD_USER_INPUT,
                sub_code="CONNECT_RECORD_NOT_FOUND",
                user_friendly_message="The record to connect was not found.",
            )
        return str(found[0]["id"])

    @staticmethod
    def _conflict_groups(obj: ObjectMeta) -> list[list[tuple[str, ...]]]:
        """get-conflicting-fields.util.ts: id, then every unique index of the object."""
        groups = [[("id",)]]
        groups += [f.unique_paths() for f in obj.fields if f.unique_paths()]
        return groups

    @staticmethod
    def _group_indexes(
        groups: list[list[tuple[str, ...]]], existing: list[Row]
    ) -> list[dict[tuple[Any, ...], str]]:
        """Per group: its values -> the first existing row holding them."""
        indexes: list[dict[tuple[Any, ...], str]] = []
        for group in groups:
            index: dict[tuple[Any, ...], str] = {}
            for row in existing:
                key = tuple(path_value(row, p) for p in group)
                try:
                    index.setdefault(key, row["id"])
                except TypeError:  # unhashable values never match a scalar key
                    continue
            indexes.append(index)
        return indexes

    def _matching_row(
        self,
        obj: ObjectMeta,
        item: dict[str, Any],
        groups: list[list[tuple[str, ...]]],
        indexes: list[dict[tuple[Any, ...], str]],
    ) -> str | None:
        """get-matching-record-id.util.ts, soft-deleted rows included."""
        matches: list[str] = []
        described: list[str] = []
        for group, index in zip(groups, indexes, strict=True):
            values = [path_value(item, p) for p in group]
            if any(v is None or v == "" for v in values):
                continue
            described.append(
                ", ".join(".".join(p) for p in group)
                + " ("
                + ", ".join(f"{'.'.join(p)}: {v}" for p, v in zip(group, values, strict=True))
                + ")"
            )
            try:
                found = index.get(tuple(values))
            except TypeError:
                found = None
            if found is not None:
                matches.append(found)
        unique = list(dict.fromkeys(matches))
        if len(unique) > 1:
            text = "; ".join(described)
            raise bad_input(
                f"Multiple records found with the same unique field values for {text}. "
                "Cannot determine which record to update.",
                sub_code="UPSERT_MULTIPLE_MATCHING_RECORDS_CONFLICT",
            )
        return unique[0] if unique else None

    @staticmethod
    def _raise_duplicate_id(obj: ObjectMeta, record_id: str) -> None:
        raise TwentyError(
            f"A duplicate entry was detected: unique constraint {obj.name_singular}.PK was "
            "violated",
            ErrorCode.BAD_USER_INPUT,
            user_friendly_message=(
                "This record already exists. Please check your data and try again."
            ),
            extra={
                "conflictingRecordId": record_id,
                "conflictingObjectNameSingular": obj.name_singular,
            },
        )

    def _event(
        self,
        obj: ObjectMeta,
        action: str,
        row: Row,
        actor: Actor,
        updated_fields: list[str] | None = None,
    ) -> RecordEvent:
        return RecordEvent(
            obj.id, obj.name_singular, action, webhook_row(obj, row), actor, updated_fields
        )

    def _updated(self, obj: ObjectMeta, before: Row, after: Row, actor: Actor) -> RecordEvent:
        return self._event(obj, "updated", after, actor, changed_columns(obj, before, after))


def _same(a: Row, b: Row, group: list[tuple[str, ...]]) -> bool:
    values = [path_value(a, p) for p in group]
    if any(v is None or v == "" for v in values):
        return False
    return all(path_value(b, p) == v for p, v in zip(group, values, strict=True))


Emit = Callable[[list[RecordEvent]], None]
