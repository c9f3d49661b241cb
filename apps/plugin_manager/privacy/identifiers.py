"""The personal identifiers a running request needs, encrypted at rest on the request."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from apps.plugin_manager import crypto


@dataclass(frozen=True)
class Identifiers:
    phone: str = ""
    email: str = ""
    name: str = ""


def seal(identifiers: Identifiers) -> str:
    return crypto.encrypt(json.dumps(asdict(identifiers)))


def unseal(stored: str) -> Identifiers:
    if not stored:
        return Identifiers()  # wiped at completion
    data = json.loads(crypto.decrypt(stored))
    return Identifiers(phone=data.get("phone", ""), email=data.get("email", ""),
                       name=data.get("name", ""))


__all__ = ("Identifiers", "seal", "unseal")
