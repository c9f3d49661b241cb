"""CRUD on `:itemtype` over HTTP: the `{"input": ...}` envelopes, bulk results, statuses.

Single add: 201 + Location, `{"id", "message"}`. Bulk add: 201 + Link, a list; 207
ERROR_GLPI_PARTIAL_ADD when some failed, 400 ERROR_GLPI_ADD when all did. PUT and DELETE
answer a list `[{"<id>": true, "message": ""}]` even for one item.
"""

from __future__ import annotations

from sandboxes.glpi import errors
from sandboxes.glpi.clock import http_date
from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.exchange import ApiRequest, ApiResponse
from sandboxes.glpi.items import add_item, delete_item, update_item
from sandboxes.glpi.itemtypes import ITEMTYPES, find_itemtype
from sandboxes.glpi.jsontypes import JsonObject, JsonValue, as_int, as_str, is_intlike
from sandboxes.glpi.listing import list_rows
from sandboxes.glpi.paging import content_range, parse_range
from sandboxes.glpi.presentation import present, sanitize
from sandboxes.glpi.search import search
from sandboxes.glpi.search_options import list_search_options
from sandboxes.glpi.visibility import visible

MAX_INPUT_VARS = 1000  # PHP's max_input_vars, echoed in Accept-Range


def _input(request: ApiRequest) -> JsonValue:
    """The mandatory `input` wrapper: a bare object makes `input` null -> ERROR_BAD_ARRAY."""
    body = request.body
    if not isinstance(body, dict) or "input" not in body:
        raise errors.bad_array()
    value = body["input"]
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    raise errors.bad_array()


def create(request: ApiRequest, ctx: WriteContext, itemtype: str) -> ApiResponse:
    payload = _input(request)
    encoded = request.sanitized_output
    if isinstance(payload, dict):
        try:
            item_id, message = add_item(ctx, itemtype, payload)
        except ItemFailure as failure:
            raise errors.GlpiError("ERROR_GLPI_ADD", failure.message or "") from None
        return ApiResponse(
            201,
            {"id": item_id, "message": sanitize(message, encoded)},
            {"Location": f"{request.api_url}/{itemtype}/{item_id}"},
        )
    assert isinstance(payload, list)
    results: list[JsonValue] = []
    created: list[int] = []
    for entry in payload:
        assert isinstance(entry, dict)
        try:
            item_id, message = add_item(ctx, itemtype, entry)
        except ItemFailure as failure:
            results.append({"id": False, "message": failure.message or ""})
            continue
        created.append(item_id)
        results.append({"id": item_id, "message": sanitize(message, encoded)})
    if not created:
        return ApiResponse(400, ["ERROR_GLPI_ADD", results], error_code="ERROR_GLPI_ADD")
    if len(created) < len(payload):
        return ApiResponse(
            207, ["ERROR_GLPI_PARTIAL_ADD", results], error_code="ERROR_GLPI_PARTIAL_ADD"
        )
    link = ",".join(f"{request.api_url}/{itemtype}/{i}" for i in created)
    return ApiResponse(201, results, {"Link": link})


def _bulk(
    kind: str,
    results: list[JsonValue],
    failures: int,
    single: bool,
    single_message: JsonValue,
) -> ApiResponse:
    code = f"ERROR_GLPI_{kind}"
    if failures == 0:
        return ApiResponse(200, results)
    if single:
        return ApiResponse(400, [code, single_message], error_code=code)
    if failures == len(results):
        return ApiResponse(400, [code, results], error_code=code)
    partial = f"ERROR_GLPI_PARTIAL_{kind}"
    return ApiResponse(207, [partial, results], error_code=partial)


def update(
    request: ApiRequest, ctx: WriteContext, itemtype: str, url_id: int | None
) -> ApiResponse:
    payload = _input(request)
    entries: list[JsonObject]
    if isinstance(payload, dict):
        if url_id is None and not is_intlike(payload.get("id")):
            raise errors.bad_array()
        entries = [payload]
    else:
        assert isinstance(payload, list)
        entries = [e for e in payload if isinstance(e, dict)]
        if any(not is_intlike(e.get("id")) for e in entries):
            raise errors.bad_array()
    results: list[JsonValue] = []
    failures = 0
    last_message: JsonValue = None
    for entry in entries:
        item_id = as_int(entry["id"]) if "id" in entry else as_int(url_id)
        fields = {k: v for k, v in entry.items() if k != "id"}
        try:
            update_item(ctx, itemtype, item_id, fields)
            results.append({str(item_id): True, "message": ""})
        except ItemFailure as failure:
            failures += 1
            last_message = failure.message
            results.append({str(item_id): False, "message": failure.message})
    return _bulk("UPDATE", results, failures, len(entries) == 1, last_message)


def delete(
    request: ApiRequest, ctx: WriteContext, itemtype: str, url_id: int | None
) -> ApiResponse:
    purge = request.flag("force_purge", False)
    ids: list[int]
    if url_id is not None:
        ids = [url_id]
    else:
        payload = _input(request)
        entries = [payload] if isinstance(payload, dict) else payload
        assert isinstance(entries, list)
        if any(not isinstance(e, dict) or not is_intlike(e.get("id")) for e in entries):
            raise errors.bad_array()
        ids = [as_int(e["id"]) for e in entries if isinstance(e, dict)]
    results: list[JsonValue] = []
    failures = 0
    last_message: JsonValue = None
    for item_id in ids:
        try:
            delete_item(ctx, itemtype, item_id, purge)
            results.append({str(item_id): True, "message": ""})
        except ItemFailure as failure:
            failures += 1
            last_message = failure.message
            results.append({str(item_id): False, "message": failure.message})
    return _bulk("DELETE", results, failures, len(ids) == 1, last_message)


def get_one(request: ApiRequest, ctx: WriteContext, itemtype: str, item_id: int) -> ApiResponse:
    store = ctx.store
    with store.lock:
        row = store.get(itemtype, item_id)
        if row is None:
            raise errors.item_not_found()
        if not visible(store, ctx.actor, itemtype, row):
            raise errors.right_missing()
        body = present(
            store,
            request.api_url,
            itemtype,
            row,
            in_list=False,
            hateoas=request.flag("get_hateoas", True),
            expand_dropdowns=request.flag("expand_dropdowns", False),
            encoded=request.sanitized_output,
        )
        headers: dict[str, str] = {}
        if isinstance(row.get("date_mod"), str):
            headers["Last-Modified"] = http_date(as_str(row["date_mod"]))
    return ApiResponse(200, body, headers)


def get_many(
    request: ApiRequest,
    ctx: WriteContext,
    itemtype: str,
    parent: tuple[str, int] | None = None,
) -> ApiResponse:
    store = ctx.store
    page = parse_range(request.param("range"), store.config.list_limit)
    with store.lock:
        if parent is not None:
            parent_type, parent_id = parent
            parent_row = store.get(parent_type, parent_id)
            if parent_row is None:
                raise errors.item_not_found()
            if not visible(store, ctx.actor, parent_type, parent_row):
                raise errors.right_missing()
            if itemtype not in ITEMTYPES[parent_type].children:
                ctx.note(f"{parent_type}/{itemtype} sub-items are not simulated")
        result = list_rows(store, ctx.actor, itemtype, request.query, page, parent)
        only_id = request.flag("only_id", False)
        body: list[JsonValue] = [
            {"id": row["id"]}
            if only_id
            else present(
                store,
                request.api_url,
                itemtype,
                row,
                in_list=True,
                hateoas=request.flag("get_hateoas", True),
                expand_dropdowns=request.flag("expand_dropdowns", False),
                encoded=request.sanitized_output,
            )
            for row in result.rows
        ]
    headers = {"Accept-Range": f"{itemtype} {MAX_INPUT_VARS}"}
    if result.total > 0:
        headers["Content-Range"] = content_range(page, len(body), result.total)
    status = 206 if len(body) < result.total else 200
    return ApiResponse(status, body, headers)


def search_items(request: ApiRequest, ctx: WriteContext, itemtype: str) -> ApiResponse:
    page = parse_range(request.param("range"), ctx.store.config.list_limit)
    result = search(ctx, itemtype, request.query, page, request.sanitized_output)
    headers = {"Accept-Range": f"{itemtype} {MAX_INPUT_VARS}"}
    if result.total > 0:
        headers["Content-Range"] = content_range(page, result.count, result.total)
    return ApiResponse(result.status, result.body, headers)


def search_options(itemtype: str) -> ApiResponse:
    return ApiResponse(200, list_search_options(itemtype))


def get_multiple(request: ApiRequest, ctx: WriteContext) -> ApiResponse:
    """`getMultipleItems?items[0][itemtype]=Ticket&items[0][items_id]=1`."""
    raw = request.query.get("items")
    if not isinstance(raw, dict):
        raise errors.bad_array()
    found: list[JsonValue] = []
    for entry in raw.values():
        if not isinstance(entry, dict):
            raise errors.bad_array()
        itemtype = entry.get("itemtype")
        item_id = entry.get("items_id")
        definition = find_itemtype(itemtype) if isinstance(itemtype, str) else None
        if definition is None or not isinstance(item_id, str) or not item_id.isdigit():
            raise errors.bad_array()
        found.append(get_one(request, ctx, definition.name, int(item_id)).body)
    return ApiResponse(200, found)
