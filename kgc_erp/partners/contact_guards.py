"""Where optional apps may refuse a phone number or e-mail typed into the partner form,
without the core importing them (the privacy app refuses an erased person's data).

A guard answers ``refusal(tenant_id, phone, email)`` with a Hungarian message, or None.
The form then shows ``CONFIRM_FIELD``; when the clerk ticks it, the partner is saved and
``release(tenant_id, phone, email, user)`` records the decision (e.g. lifts a tombstone).
Registration is idempotent by key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CONFIRM_FIELD = "confirm_contact_guard"
CONFIRM_LABEL = "A személy kérésére újra felvesszük (a törlési jelölés feloldása)"


@dataclass(frozen=True)
class ContactGuard:
    key: str
    refusal: Callable[[int, str, str], str | None]
    release: Callable[[int, str, str, Any], None]


_guards: dict[str, ContactGuard] = {}


def register_guard(guard: ContactGuard) -> None:
    _guards[guard.key] = guard


def refusals(tenant_id: int, phone: str, email: str) -> list[str]:
    messages: list[str] = []
    for guard in _guards.values():
        message = guard.refusal(tenant_id, phone or "", email or "")
        if message:
            messages.append(message)
    return messages


def release_all(tenant_id: int, phone: str, email: str, user: Any) -> None:
    for guard in _guards.values():
        if guard.refusal(tenant_id, phone or "", email or ""):
            guard.release(tenant_id, phone or "", email or "", user)


__all__ = ("CONFIRM_FIELD", "CONFIRM_LABEL", "ContactGuard", "refusals", "register_guard",
           "release_all")
