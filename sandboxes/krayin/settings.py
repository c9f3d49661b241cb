"""`/settings/pipelines`, `/settings/sources`, `/settings/types`, `/settings/users` reads,
plus source/type writes (`{"name"}`, unique). The pipeline embeds its stages: the only way
to list stages over the API."""

from __future__ import annotations

from sandboxes.krayin import clock
from sandboxes.krayin.call import Call, Reply, as_text
from sandboxes.krayin.errors import not_found
from sandboxes.krayin.listing import paginate, query_rows
from sandboxes.krayin.models import NamedSetting, Pipeline, User
from sandboxes.krayin.resources import named_resource, pipeline_resource, user_resource
from sandboxes.krayin.validation import Validator

NAMED_TABLES = {"sources": ("source", "Source"), "types": ("type", "Type")}


def pipeline_index(call: Call) -> Reply:
    rows = query_rows(list(call.db.pipelines.values()), call.args, Pipeline, call.tz)
    return 200, paginate(rows, call.args, call.url, lambda p: pipeline_resource(call.db, p))


def pipeline_show(call: Call, pipeline_id: int) -> Reply:
    pipeline = call.db.pipelines.get(pipeline_id)
    if pipeline is None:
        raise not_found("pipeline", pipeline_id)
    return 200, {"data": pipeline_resource(call.db, pipeline)}


def user_index(call: Call) -> Reply:
    rows = query_rows(list(call.db.users.values()), call.args, User, call.tz)
    return 200, paginate(rows, call.args, call.url, user_resource)


def user_show(call: Call, user_id: int) -> Reply:
    user = call.db.users.get(user_id)
    if user is None:
        raise not_found("user", user_id)
    return 200, {"data": user_resource(user)}


def _table(call: Call, table: str) -> dict[int, NamedSetting]:
    rows: dict[int, NamedSetting] = getattr(call.db, table)
    return rows


def named_index(call: Call, table: str) -> Reply:
    rows = query_rows(list(_table(call, table).values()), call.args, NamedSetting, call.tz)
    return 200, paginate(rows, call.args, call.url, named_resource)


def _named(call: Call, table: str, row_id: int) -> NamedSetting:
    row = _table(call, table).get(row_id)
    if row is None:
        raise not_found(NAMED_TABLES[table][0], row_id)
    return row


def named_show(call: Call, table: str, row_id: int) -> Reply:
    return 200, {"data": named_resource(_named(call, table, row_id))}


def _validated_name(call: Call, table: str, row_id: int | None) -> str:
    v = Validator()
    name = call.body.get("name")
    if v.required("name", name):
        text = as_text(name)
        if any(r.name == text and r.id != row_id for r in _table(call, table).values()):
            v.fail("name", "The name has already been taken.")
    v.raise_if_failed()
    return as_text(name) or ""


def named_store(call: Call, table: str) -> Reply:
    name = _validated_name(call, table, None)
    at = clock.now()
    row = NamedSetting(call.db.next_id(table), name, at, at)
    _table(call, table)[row.id] = row
    label = NAMED_TABLES[table][1]
    return 200, {"data": named_resource(row), "message": f"{label} created successfully."}


def named_update(call: Call, table: str, row_id: int) -> Reply:
    row = _named(call, table, row_id)
    row.name = _validated_name(call, table, row_id)
    row.updated_at = clock.now()
    label = NAMED_TABLES[table][1]
    return 200, {"data": named_resource(row), "message": f"{label} updated successfully."}


def named_destroy(call: Call, table: str, row_id: int) -> Reply:
    row = _named(call, table, row_id)
    del _table(call, table)[row.id]
    return 200, {"message": f"{NAMED_TABLES[table][1]} deleted successfully."}
