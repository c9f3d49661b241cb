"""Validation of status transitions shared by the core domain services."""

from __future__ import annotations

from collections.abc import Mapping


class InvalidTransition(Exception):
    """A requested status change that the business rules forbid.

    The message is Hungarian because counter staff see it in the admin.
    """


def ensure_transition(
    allowed: Mapping[str, frozenset[str]], current: str, target: str, labels: Mapping[str, object]
) -> None:
    if target not in allowed.get(current, frozenset()):
        raise InvalidTransition(
            f"Nem engedélyezett állapotváltás: {labels.get(current, current)} → "
            f"{labels.get(target, target)}."
        )
