"""prettus/l5-repository RequestCriteria, as `/contacts/persons/search` and `/leads/search`
use it (NOTES section 5).

`search=field:value;field:value`, `searchFields=field:cond` (`=`, `like`, `in`; `=` by
default), `searchJoin=and` (OR by default), `orderBy`/`sortedBy`, `limit` (10). JSON
columns compared with `=` never match; `like` is a case-insensitive substring match on the
JSON text. An unsearchable field in `searchFields` makes prettus throw: a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from sandboxes.krayin.errors import ServerError
from sandboxes.krayin.listing import sort_key, sql_text
from sandboxes.krayin.models import Row, column_names, columns

R = TypeVar("R", bound=Row)
# A searchable field's value for one row: its column, or a relation's column.
FieldReader = Callable[[R], object]
CONDITIONS = ("=", "like", "in")
DEFAULT_LIMIT = 10


def php_json(value: object) -> str:
    """json_encode as Laravel stores JSON columns: compact, `/` escaped, \\u escapes."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def _parse_pairs(text: str) -> list[tuple[str | None, str]]:
    pairs: list[tuple[str | None, str]] = []
    for part in text.split(";"):
        if not part:
            continue
        field, sep, value = part.partition(":")
        pairs.append((field, value) if sep else (None, part))
    return pairs


def _field_text(value: object, tz: ZoneInfo) -> str | None:
    if isinstance(value, list | dict):
        return php_json(value)
    return sql_text(value, tz)


def _condition_holds(value: object, condition: str, wanted: str, tz: ZoneInfo) -> bool:
    text = _field_text(value, tz)
    if text is None:
        return False
    if condition == "like":
        return wanted.casefold() in text.casefold()
    if isinstance(value, list | dict):
        return False  # JSON columns: `=` compares the whole document and never matches.
    if condition == "in":
        return text.casefold() in {w.casefold() for w in wanted.split(",")}
    return text.casefold() == wanted.casefold()


def search_rows(
    rows: Sequence[R],
    args: dict[str, str],
    readers: dict[str, FieldReader[R]],
    row_type: type[R],
    tz: ZoneInfo,
) -> list[R]:
    conditions: dict[str, str] = {}
    for field, cond in _parse_pairs(args.get("searchFields", "")):
        name = field if field is not None else cond
        condition = cond.strip().lower() if field is not None else "="
        if name not in readers:
            raise ServerError(
                f"Fields {name} are not accepted",
                exception="Prettus\\Repository\\Exceptions\\RepositoryException",
            )
        conditions[name] = condition if condition in CONDITIONS else "="
    wanted: list[tuple[str, str]] = []
    for field, value in _parse_pairs(args.get("search", "")):
        if field is None:
            wanted.extend((name, value) for name in readers)
        elif field in readers:
            wanted.append((field, value))
    selected = list(rows)
    if wanted:
        join_and = args.get("searchJoin", "").lower() == "and"

        def keep(row: R) -> bool:
            results = (
                _condition_holds(readers[f](row), conditions.get(f, "="), v, tz) for f, v in wanted
            )
            return all(results) if join_and else any(results)

        selected = [r for r in selected if keep(r)]
    order_by = args.get("orderBy")
    if order_by:
        if order_by not in column_names(row_type):
            raise ServerError(
                f"SQLSTATE[42S22]: Column not found: 1054 Unknown column '{order_by}'",
                exception="Illuminate\\Database\\QueryException",
            )
        descending = args.get("sortedBy", "asc").lower() == "desc"
        selected.sort(key=lambda r: sort_key(columns(r)[order_by], tz), reverse=descending)
    try:
        limit = int(args.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        limit = DEFAULT_LIMIT
    return selected[: max(limit, 0)]
