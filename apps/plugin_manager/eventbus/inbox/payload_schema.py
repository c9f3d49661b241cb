"""Validation of an inbound payload at the door: the fields a handler reads, with their types.

A connector declares, per event it handles, the dotted paths its handler relies on and the
types they must have (``PayloadSchema(required={"id": int, "account.id": int})``). The inbox
checks them before it stores the delivery, so a payload missing a field is refused with 400
and logged once, instead of being stored and failing its handler on every retry.

Types follow JSON: ``int`` (never ``bool``), ``str``, ``float`` (an int is accepted),
``bool``, ``dict``, ``list`` and ``type(None)``; a tuple accepts any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

JsonType = type | tuple[type, ...]
_MISSING = object()


def _lookup(payload: Mapping[str, object], path: str) -> object:
    value: object = payload
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _accepts(expected: JsonType, value: object) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    for kind in kinds:
        if kind is int and isinstance(value, bool):
            continue  # JSON true is not a number
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return True
        if isinstance(value, kind):
            return True
    return False


def _type_names(expected: JsonType) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join("null" if k is type(None) else k.__name__ for k in kinds)


@dataclass(frozen=True)
class PayloadSchema:
    """The fields one event's handler reads. ``optional`` fields may be absent, but when
    present they must have the declared type."""

    required: Mapping[str, JsonType] = field(default_factory=dict)
    optional: Mapping[str, JsonType] = field(default_factory=dict)

    def problems(self, payload: Mapping[str, object]) -> list[str]:
        """Every violation, as short English phrases for the log and the admin."""
        found: list[str] = []
        for path, expected in self.required.items():
            value = _lookup(payload, path)
            if value is _MISSING:
                found.append(f"{path} missing")
            elif not _accepts(expected, value):
                found.append(f"{path} must be {_type_names(expected)}")
        for path, expected in self.optional.items():
            value = _lookup(payload, path)
            if value is not _MISSING and not _accepts(expected, value):
                found.append(f"{path} must be {_type_names(expected)}")
        return found


__all__ = ("JsonType", "PayloadSchema")
