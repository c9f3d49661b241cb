"""Index endpoints (`allResources`) and Laravel's LengthAwarePaginator JSON (NOTES section 2).

Every query parameter other than page/limit/sort/order/pagination becomes
`whereIn(<param>, explode(',', value))`; an unknown column is an SQL error (500). The
paginator's links carry only `?page=N`: `limit` and filters are dropped, as in Krayin.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sandboxes.krayin.clock import local_text
from sandboxes.krayin.errors import ServerError
from sandboxes.krayin.models import JsonObject, JsonValue, Row, column_names, columns

DEFAULT_LIMIT = 10
RESERVED_PARAMS = frozenset({"page", "limit", "sort", "order", "pagination"})
ON_EACH_SIDE = 3

R = TypeVar("R", bound=Row)


def sql_text(value: object, tz: ZoneInfo) -> str | None:
    """A column value as MySQL compares it with a string parameter."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_text(value, tz)
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _matches(column_value: object, wanted: list[str], tz: ZoneInfo) -> bool:
    text = sql_text(column_value, tz)
    if text is None:
        return False
    if isinstance(column_value, int | Decimal) and not isinstance(column_value, bool):
        # MySQL casts the string parameter to a number for numeric columns.
        numbers = []
        for w in wanted:
            try:
                numbers.append(Decimal(w.strip()))
            except ArithmeticError:
                numbers.append(Decimal(0))
        return Decimal(str(column_value)) in numbers
    return text.casefold() in {w.casefold() for w in wanted}


def sort_key(value: object, tz: ZoneInfo) -> tuple[int, object]:
    """NULLs sort first ascending, like MySQL; numbers stay numbers."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return (1, Decimal(str(value)))
    return (2, (sql_text(value, tz) or "").casefold())


def query_rows(rows: Sequence[R], args: dict[str, str], row_type: type[R], tz: ZoneInfo) -> list[R]:
    """Filters and order of `allResources`; default order `id desc`."""
    known = column_names(row_type)
    table = row_type.__name__.lower()
    selected = list(rows)
    for param, raw in args.items():
        if param in RESERVED_PARAMS:
            continue
        if param not in known:
            raise ServerError(
                f"SQLSTATE[42S22]: Column not found: 1054 Unknown column '{param}' "
                f"in 'where clause' (table {table})",
                exception="Illuminate\\Database\\QueryException",
            )
        wanted = raw.split(",")
        selected = [r for r in selected if _matches(columns(r)[param], wanted, tz)]
    sort = args.get("sort") or "id"
    descending = (args.get("order") or "desc").lower() != "asc"
    if sort not in known:
        raise ServerError(
            f"SQLSTATE[42S22]: Column not found: 1054 Unknown column '{sort}' in 'order clause'",
            exception="Illuminate\\Database\\QueryException",
        )
    if selected:
        selected.sort(key=lambda r: r.id, reverse=descending)
        selected.sort(key=lambda r: sort_key(columns(r)[sort], tz), reverse=descending)
    return selected


def _int_param(args: dict[str, str], name: str, default: int) -> int:
    try:
        value = int(args.get(name) or default)
    except ValueError:
        return default
    return value if value >= 1 else default


def _page_numbers(current: int, last: int) -> list[int | None]:
    """Laravel's UrlWindow (onEachSide 3): None stands for a "..." separator."""
    if last < ON_EACH_SIDE * 2 + 8:
        return list(range(1, last + 1))
    window = ON_EACH_SIDE + 4
    start, finish = [1, 2], [last - 1, last]
    if current <= window:
        return [*range(1, window + ON_EACH_SIDE + 1), None, *finish]
    if current > last - window:
        return [*start, None, *range(last - (window + ON_EACH_SIDE - 1), last + 1)]
    return [*start, None, *range(current - ON_EACH_SIDE, current + ON_EACH_SIDE + 1), None, *finish]


def paginate(
    rows: list[R], args: dict[str, str], path: str, render: Callable[[R], JsonObject]
) -> JsonObject:
    """`{"data": [...]}` for `pagination=0`, else data + links + meta."""
    if args.get("pagination") == "0":
        return {"data": [render(r) for r in rows]}
    per_page = _int_param(args, "limit", DEFAULT_LIMIT)
    page = _int_param(args, "page", 1)
    total = len(rows)
    last = max(math.ceil(total / per_page), 1)
    chunk = rows[(page - 1) * per_page : page * per_page]

    def url(number: int) -> str:
        return f"{path}?page={number}"

    meta_links: list[JsonValue] = [
        {"url": url(page - 1) if page > 1 else None, "label": "&laquo; Previous", "active": False}
    ]
    for number in _page_numbers(page, last):
        if number is None:
            meta_links.append({"url": None, "label": "...", "active": False})
        else:
            meta_links.append({"url": url(number), "label": str(number), "active": number == page})
    meta_links.append(
        {"url": url(page + 1) if page < last else None, "label": "Next &raquo;", "active": False}
    )
    first_index = (page - 1) * per_page + 1
    return {
        "data": [render(r) for r in chunk],
        "links": {
            "first": url(1),
            "last": url(last),
            "prev": url(page - 1) if page > 1 else None,
            "next": url(page + 1) if page < last else None,
        },
        "meta": {
            "current_page": page,
            "from": first_index if chunk else None,
            "last_page": last,
            "links": meta_links,
            "path": path,
            "per_page": per_page,
            "to": first_index + len(chunk) - 1 if chunk else None,
            "total": total,
        },
    }
