"""Record filters, ordering and cursor pagination with Postgres semantics (NOTES sections 3-4).

Comparisons with NULL are never true (only `is` sees NULLs), `like`/`ilike` use `%` and `_`
wildcards, and soft-deleted rows stay hidden unless the filter mentions `deletedAt`.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandboxes.twenty.errors import bad_input
from sandboxes.twenty.model import ObjectMeta

Row = dict[str, Any]
Filter = dict[str, Any]

# QUERY_MAX_RECORDS (the docs' and 2024's value; NOTES section 7).
QUERY_MAX_RECORDS = 60
QUERY_MAX_RECORDS_FROM_RELATION = 60


def mentions_deleted_at(filter_: Any) -> bool:
    """GraphqlQueryParser.applyDeletedAtToBuilder looks for deletedAt anywhere in the filter."""
    if isinstance(filter_, dict):
        return any(k == "deletedAt" or mentions_deleted_at(v) for k, v in filter_.items())
    if isinstance(filter_, list):
        return any(mentions_deleted_at(v) for v in filter_)
    return False


def _like_regex(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile(
        "^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    )


def _compare(a: Any, b: Any) -> int:
    if isinstance(a, bool) or isinstance(b, bool):
        a, b = int(bool(a)), int(bool(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (a > b) - (a < b)
    a_text, b_text = str(a), str(b)
    return (a_text > b_text) - (a_text < b_text)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class _Matcher:
    """Evaluates one object's filter input against stored rows."""

    def __init__(self, obj: ObjectMeta) -> None:
        self.obj = obj
        self.enum_orders = {f.name: f.option_values() for f in obj.fields if f.options is not None}

    def matches(self, row: Row, filter_: Filter | None) -> bool:
        if not filter_:
            return True
        for key, condition in filter_.items():
            if condition is None:
                continue
            if key == "and":
                if not all(self.matches(row, sub) for sub in condition if sub is not None):
                    return False
            elif key == "or":
                subs = [sub for sub in condition if sub is not None]
                if subs and not any(self.matches(row, sub) for sub in subs):
                    return False
            elif key == "not":
                if self.matches(row, condition):
                    return False
            elif not self._field_matches(row.get(key), condition, key):
                return False
        return True

    def _field_matches(self, value: Any, condition: dict[str, Any], field_name: str) -> bool:
        operators = {k for k in condition if k not in _OPERATORS}
        if operators and (value is None or isinstance(value, dict)):
            # A composite field: the condition nests by sub-field.
            sub = value or {}
            return all(
                self._field_matches(sub.get(name), cond, name)
                for name, cond in condition.items()
                if cond is not None
            )
        order = self.enum_orders.get(field_name)
        # An explicit null operand is ignored, as Twenty's filter parser skips undefined values.
        return all(
            _OPERATORS[op](value, operand, order)
            for op, operand in condition.items()
            if operand is not None
        )


def _op_is(value: Any, operand: Any, _order: Any) -> bool:
    return (value is None) if operand == "NULL" else (value is not None)


def _ordered(op: Callable[[int], bool]) -> Callable[[Any, Any, Any], bool]:
    def check(value: Any, operand: Any, order: list[str] | None) -> bool:
        if value is None or operand is None:
            return False
        if order and value in order and operand in order:
            return op(order.index(value) - order.index(operand))
        return op(_compare(value, operand))

    return check


def _op_eq(value: Any, operand: Any, _order: Any) -> bool:
    return value is not None and operand is not None and _compare(value, operand) == 0


def _op_neq(value: Any, operand: Any, _order: Any) -> bool:
    return value is not None and _compare(value, operand) != 0


def _op_in(value: Any, operand: Any, _order: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, list):
        return any(_compare(v, o) == 0 for v in value for o in operand)
    return any(o is not None and _compare(value, o) == 0 for o in operand)


def _text_op(test: Callable[[str, str], bool]) -> Callable[[Any, Any, Any], bool]:
    def check(value: Any, operand: Any, _order: Any) -> bool:
        if value is None:
            return False
        return test(_json_text(value), str(operand))

    return check


def _op_contains_ilike(value: Any, operand: Any, _order: Any) -> bool:
    if not isinstance(value, list):
        return False
    pattern = _like_regex(str(operand), ignore_case=True)
    return any(pattern.match(str(v)) for v in value)


def _op_is_empty_array(value: Any, operand: Any, _order: Any) -> bool:
    empty = isinstance(value, list) and not value
    return empty if operand else not empty


def _op_search(value: Any, operand: Any, _order: Any) -> bool:
    words = [w.lower() for w in str(operand).split() if w]
    text = str(value or "").lower()
    return all(w in text for w in words)


_OPERATORS: dict[str, Callable[[Any, Any, Any], bool]] = {
    "eq": _op_eq,
    "neq": _op_neq,
    "in": _op_in,
    "containsAny": _op_in,
    "gt": _ordered(lambda d: d > 0),
    "gte": _ordered(lambda d: d >= 0),
    "lt": _ordered(lambda d: d < 0),
    "lte": _ordered(lambda d: d <= 0),
    "is": _op_is,
    "startsWith": _text_op(lambda v, o: v.startswith(o)),
    "endsWith": _text_op(lambda v, o: v.endswith(o)),
    "like": _text_op(lambda v, o: bool(_like_regex(o, ignore_case=False).match(v))),
    "ilike": _text_op(lambda v, o: bool(_like_regex(o, ignore_case=True).match(v))),
    "regex": _text_op(lambda v, o: re.search(o, v) is not None),
    "iregex": _text_op(lambda v, o: re.search(o, v, re.IGNORECASE) is not None),
    "containsIlike": _op_contains_ilike,
    "isEmptyArray": _op_is_empty_array,
    "search": _op_search,
}


def filter_rows(obj: ObjectMeta, rows: list[Row], filter_: Filter | None) -> list[Row]:
    matcher = _Matcher(obj)
    with_deleted = mentions_deleted_at(filter_)
    return [
        r for r in rows if (with_deleted or not r.get("deletedAt")) and matcher.matches(r, filter_)
    ]


# ------------------------------------------------------------------ ordering


@dataclass(frozen=True)
class SortKey:
    path: tuple[str, ...]
    ascending: bool
    nulls_first: bool


def sort_keys(obj: ObjectMeta, order_by: list[dict[str, Any]] | None) -> list[SortKey]:
    keys: list[SortKey] = []
    for item in order_by or []:
        for name, direction in (item or {}).items():
            if isinstance(direction, dict):
                for sub, sub_direction in direction.items():
                    if sub_direction:
                        keys.append(_sort_key((name, sub), sub_direction))
            elif direction:
                keys.append(_sort_key((name,), direction))
    if not keys and obj.has_field("position"):
        keys.append(SortKey(("position",), True, True))
    # An id tie-breaker is always added, so cursors are stable.
    keys.append(SortKey(("id",), True, True))
    return keys


def _sort_key(path: tuple[str, ...], direction: str) -> SortKey:
    return SortKey(path, direction.startswith("Asc"), direction.endswith("NullsFirst"))


def _path_value(row: Row, path: tuple[str, ...]) -> Any:
    value: Any = row
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _compare_keys(keys: list[SortKey], a: list[Any], b: list[Any]) -> int:
    for key, x, y in zip(keys, a, b, strict=True):
        if x is None and y is None:
            continue
        if x is None or y is None:
            first = -1 if key.nulls_first else 1
            return first if x is None else -first
        result = _compare(x, y)
        if result:
            return result if key.ascending else -result
    return 0


def key_values(keys: list[SortKey], row: Row) -> list[Any]:
    return [_path_value(row, k.path) for k in keys]


def sort_rows(keys: list[SortKey], rows: list[Row]) -> list[Row]:
    return sorted(
        rows,
        key=functools.cmp_to_key(
            lambda a, b: _compare_keys(keys, key_values(keys, a), key_values(keys, b))
        ),
    )


# ------------------------------------------------------------------ pagination


def encode_cursor(keys: list[SortKey], row: Row) -> str:
    payload = {".".join(k.path): v for k, v in zip(keys, key_values(keys, row), strict=True)}
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(keys: list[SortKey], cursor: str) -> list[Any]:
    try:
        payload = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return [payload[".".join(k.path)] for k in keys]
    except (ValueError, KeyError, TypeError):
        raise bad_input(f"Invalid cursor: {cursor}") from None


@dataclass
class Page:
    rows: list[Row]
    total: int
    has_next: bool
    has_previous: bool


def paginate(
    keys: list[SortKey],
    rows: list[Row],
    args: dict[str, Any],
    *,
    max_first: int | None = None,
) -> Page:
    first, last = args.get("first"), args.get("last")
    before, after, offset = args.get("before"), args.get("after"), args.get("offset")
    for a, b in (("first", "last"), ("before", "after"), ("before", "first"), ("after", "last")):
        if args.get(a) is not None and args.get(b) is not None:
            raise bad_input(f"Cannot provide both {a} and {b}")
    for name, value in (("first", first), ("last", last), ("offset", offset)):
        if value is not None and value < 0:
            raise bad_input(f"{name} must be a positive integer")
    ordered = sort_rows(keys, rows)
    total = len(ordered)
    start, end = 0, len(ordered)
    if after is not None:
        bound = decode_cursor(keys, after)
        start = next(
            (
                i
                for i, r in enumerate(ordered)
                if _compare_keys(keys, key_values(keys, r), bound) > 0
            ),
            len(ordered),
        )
    if before is not None:
        bound = decode_cursor(keys, before)
        end = next(
            (
                i
                for i, r in enumerate(ordered)
                if _compare_keys(keys, key_values(keys, r), bound) >= 0
            ),
            len(ordered),
        )
    if offset:
        start = min(start + offset, end)
    limit = QUERY_MAX_RECORDS
    if first is not None:
        limit = first
    elif last is not None:
        limit = last
    if max_first is not None:
        limit = min(limit, max_first)
    if last is not None and first is None:
        page_start = max(start, end - limit)
        page = ordered[page_start:end]
        return Page(page, total, end < len(ordered), page_start > 0)
    page = ordered[start : start + limit]
    return Page(page, total, start + len(page) < end, start > 0)
