"""`GET /:itemtype/` and `GET /:itemtype/:id/:sub_itemtype`: filtered, sorted, paged rows.

`searchText[col]` is SQL `LIKE '%text%'` (case-insensitive collation) with `^`/`$`
anchors; an unknown column is a SQL error, as in GLPI, where the name goes into the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandboxes.glpi import errors
from sandboxes.glpi.context import Actor
from sandboxes.glpi.itemtypes import ITEMTYPES
from sandboxes.glpi.jsontypes import JsonValue, Row, as_str
from sandboxes.glpi.paging import Page, check_start
from sandboxes.glpi.phpquery import PhpParams, flag, scalar
from sandboxes.glpi.state import Store
from sandboxes.glpi.visibility import visible


@dataclass(frozen=True)
class ListResult:
    rows: list[Row]
    total: int


def like(pattern: str, value: str) -> bool:
    """GLPI's searchText/contains: substring, `^` anchors the start, `$` the end."""
    anchored_start = pattern.startswith("^")
    anchored_end = pattern.endswith("$") and len(pattern) > int(anchored_start)
    core = pattern[int(anchored_start) : len(pattern) - int(anchored_end)]
    regex = re.escape(core).replace("%", ".*")
    regex = ("^" if anchored_start else "") + regex + ("$" if anchored_end else "")
    return re.search(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _sort_key(value: JsonValue) -> tuple[int, float, str]:
    # MySQL sorts NULL first, numbers numerically and strings by (case-insensitive) text.
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0.0, as_str(value).lower())


def list_rows(
    store: Store,
    actor: Actor,
    itemtype: str,
    params: PhpParams,
    page: Page,
    parent: tuple[str, int] | None = None,
) -> ListResult:
    definition = ITEMTYPES[itemtype]
    table = definition.table
    columns = definition.column_names
    filters = params.get("searchText")
    text_filters: dict[str, str] = {}
    if isinstance(filters, dict):
        for column, value in filters.items():
            if not isinstance(value, str):
                continue
            if column != "all" and column not in columns:
                raise errors.sql_unknown_column(table, column, "where")
            text_filters[column] = value
    sort = scalar(params, "sort") or "id"
    if sort not in columns:
        raise errors.sql_unknown_column(table, sort, "order")
    descending = (scalar(params, "order") or "ASC").upper() == "DESC"
    show_deleted = flag(params, "is_deleted", False)
    rows: list[Row] = []
    for row in store.table(itemtype).values():
        if parent is not None and not _child_of(itemtype, row, parent):
            continue
        if definition.has_trash and bool(row.get("is_deleted")) != show_deleted:
            continue
        if not visible(store, actor, itemtype, row):
            continue
        if not all(_matches(row, column, text) for column, text in text_filters.items()):
            continue
        rows.append(row)
    rows.sort(key=lambda r: _sort_key(r.get("id")))
    rows.sort(key=lambda r: _sort_key(r.get(sort)), reverse=descending)
    total = len(rows)
    check_start(page, total)
    return ListResult(rows[page.start : page.end + 1], total)


def _matches(row: Row, column: str, text: str) -> bool:
    if column == "all":
        return like(text, as_str(row.get("name"))) or like(text, as_str(row.get("comment")))
    return like(text, as_str(row.get(column)))


def _child_of(itemtype: str, row: Row, parent: tuple[str, int]) -> bool:
    parent_type, parent_id = parent
    key = ITEMTYPES[parent_type].children.get(itemtype)
    if key is None:
        return False
    if itemtype == "ITILFollowup" and row.get("itemtype") != parent_type:
        return False
    return row.get(key) == parent_id
