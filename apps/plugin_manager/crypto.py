"""Encryption at rest for secret plugin settings (Fernet, i.e. AES-128-CBC + HMAC-SHA256).

The key comes from `settings.FIELD_ENCRYPTION_KEY`: one or more comma-separated Fernet
keys, the first encrypts and all decrypt, so a key can be rotated without a migration.
Empty: a key is derived from SECRET_KEY, so a development setup works out of the box
(rotating SECRET_KEY then makes stored secrets unreadable: set FIELD_ENCRYPTION_KEY in
production).

Stored values carry a prefix so an encrypted value can never be mistaken for a plain one.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "enc:v1:"


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    raw = (getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "").strip()
    if raw:
        try:
            keys = [Fernet(key.strip()) for key in raw.split(",") if key.strip()]
        except ValueError as exc:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys "
                "(cryptography.fernet.Fernet.generate_key())."
            ) from exc
    else:
        digest = hashlib.sha256(
            b"kgc-erp.plugin-settings:" + settings.SECRET_KEY.encode()
        ).digest()
        keys = [Fernet(base64.urlsafe_b64encode(digest))]
    return MultiFernet(keys)


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: object) -> None:
    if setting in ("FIELD_ENCRYPTION_KEY", "SECRET_KEY"):
        _fernet.cache_clear()
        _plaintexts.clear()


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(plaintext: str) -> str:
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not is_encrypted(stored):
        raise SecretDecryptionError("value is not an encrypted secret")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "cannot decrypt a stored secret: FIELD_ENCRYPTION_KEY (or SECRET_KEY) changed?"
        ) from exc


# Stored value -> plaintext, per process, for secrets read on a hot path (a webhook
# subscription's signing secret, once per delivery). A Fernet token decrypts to one
# plaintext only, so an entry never goes stale: a changed secret is a new stored value.
# Bounded (cleared when full) and cleared when the keys change.
_plaintexts: dict[str, str] = {}
_MAX_REMEMBERED = 1024


def decrypt_remembered(stored: str) -> str:
    """`decrypt`, remembered per process by the stored value (see `_plaintexts`)."""
    plaintext = _plaintexts.get(stored)
    if plaintext is None:
        plaintext = decrypt(stored)
        if len(_plaintexts) >= _MAX_REMEMBERED:
            _plaintexts.clear()
        _plaintexts[stored] = plaintext
    return plaintext


def mask(plaintext: str) -> str:
    """What the admin shows of a secret: never more than its last four characters."""
    if not plaintext:
        return ""
    tail = plaintext[-4:] if len(plaintext) >= 12 else ""
    return "••••" + tail


__all__ = (
    "SecretDecryptionError",
    "decrypt",
    "decrypt_remembered",
    "encrypt",
    "is_encrypted",
    "mask",
)
