"""Input coercion and output serialisation of Twenty's custom scalars.

`build_schema` creates pass-through scalars; these functions make them as strict as
Twenty's (UUID v1-v5 only, ISO dates, numeric BigFloat, 'first'/'last'/number positions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema

from sandboxes.twenty.clock import iso_ms

# isValidUuid.ts: RFC 4122 versions 1-5 only (UUIDv7 is rejected).
UUID_PATTERN = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.IGNORECASE
)
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_valid_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(UUID_PATTERN.match(value))


def parse_uuid(value: Any) -> str:
    if not is_valid_uuid(value):
        raise GraphQLError(f"Invalid UUID: {value!r}")
    return str(value)


def normalize_datetime(value: Any) -> str:
    """Accept any ISO 8601 date-time and return the canonical UTC millisecond form."""
    if not isinstance(value, str):
        raise GraphQLError(f"DateTime cannot represent a non string value: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraphQLError(
            f"DateTime cannot represent an invalid date-time-string {value}."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_ms(moment)


def parse_date(value: Any) -> str:
    if not isinstance(value, str) or not _DATE_PATTERN.match(value):
        raise GraphQLError(
            f"Date cannot represent an invalid date string {value!r}, use YYYY-MM-DD."
        )
    try:
        date.fromisoformat(value)
    except ValueError:
        raise GraphQLError(f"Date cannot represent an invalid date {value!r}.") from None
    return value


def to_number(value: Any) -> int | float:
    """BigFloat: a number, or a numeric string in variables; integral values stay integers."""
    if isinstance(value, bool):
        raise GraphQLError(f"BigFloat cannot represent a boolean: {value!r}")
    if isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise GraphQLError(f"BigFloat cannot represent {value!r}") from None
    else:
        raise GraphQLError(f"BigFloat cannot represent {value!r}")
    if not number.is_finite():
        raise GraphQLError(f"BigFloat cannot represent {value!r}")
    return int(number) if number == number.to_integral_value() else float(number)


def parse_big_int(value: Any) -> int:
    number = to_number(value)
    if not isinstance(number, int):
        raise GraphQLError(f"BigInt cannot represent a non-integer value: {value!r}")
    return number


def parse_position(value: Any) -> str | int | float:
    if value in ("first", "last"):
        return str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise GraphQLError(f"Position must be 'first', 'last' or a number, got {value!r}")


def parse_string(value: Any) -> str:
    if not isinstance(value, str):
        raise GraphQLError(f"Expected a string, got {value!r}")
    return value


def serialize_number(value: Any) -> Any:
    if value is None:
        return None
    return to_number(value)


def _identity(value: Any) -> Any:
    return value


_PARSERS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "UUID": (parse_uuid, _identity),
    "DateTime": (normalize_datetime, _identity),
    "Date": (parse_date, _identity),
    "BigFloat": (to_number, serialize_number),
    "BigInt": (parse_big_int, serialize_number),
    "Position": (parse_position, _identity),
    "Cursor": (parse_string, _identity),
    "ConnectionCursor": (parse_string, _identity),
    "TSVector": (parse_string, _identity),
}


def install_scalars(schema: GraphQLSchema) -> None:
    """graphql-core 3.3 reads coerce_*; the deprecated parse_value/serialize stay in step."""
    for name, (parse, serialize) in _PARSERS.items():
        scalar = schema.type_map.get(name)
        if isinstance(scalar, GraphQLScalarType):
            scalar.coerce_input_value = parse
            scalar.coerce_output_value = serialize
            scalar.parse_value = parse  # type: ignore[method-assign]
            scalar.serialize = serialize  # type: ignore[method-assign]
