"""JSON value types shared by the sandbox modules, plus narrowing helpers for parsed input."""

from __future__ import annotations

from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject: TypeAlias = dict[str, JsonValue]
Row: TypeAlias = dict[str, JsonValue]
"""One stored item: its DB columns in GLPI's column order."""


def as_int(value: JsonValue, default: int = 0) -> int:
    """PHP-style integer reading: GLPI accepts "12" as well as 12 in its inputs."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return default


def is_intlike(value: JsonValue) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def as_str(value: JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    return str(value)


def truthy(value: JsonValue) -> bool:
    """PHP truthiness for flags such as is_private ("0", 0, false, "" are false)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false")
    return bool(value)
