"""Widget identity validation (NOTES §11): ``identifier_hash`` is the lowercase hex
HMAC-SHA256 of the contact identifier, keyed with the widget inbox's ``hmac_token``.
Computed server-side only; the token never reaches the browser."""

from __future__ import annotations

import hashlib
import hmac


def identifier_hash(hmac_token: str, identifier: str | int) -> str:
    return hmac.new(hmac_token.encode("utf-8"), str(identifier).encode("utf-8"),
                    hashlib.sha256).hexdigest()


__all__ = ("identifier_hash",)
