"""Random identifiers shaped like the ones Chatwoot generates."""

from __future__ import annotations

import secrets
import uuid

# ActiveRecord's has_secure_token alphabet (Base58: no 0, O, I, l).
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def secure_token(length: int = 24) -> str:
    """``has_secure_token``: access tokens, webhook/inbox secrets, hmac tokens, identifiers."""
    return "".join(secrets.choice(_BASE58) for _ in range(length))


def new_uuid() -> str:
    """``SecureRandom.uuid``: conversation uuids, API-inbox source ids, delivery ids."""
    return str(uuid.uuid4())
