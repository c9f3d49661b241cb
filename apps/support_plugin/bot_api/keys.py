"""Issuing, verifying, rotating and revoking API keys.

A key looks like `kgc_<prefix>_<secret>`: the prefix (8 characters, stored in clear and
shown in the admin) finds the row, the SHA-256 hash of the whole key proves it. The
secret carries 256 bits of randomness, so a fast hash is enough: there is nothing to
brute-force, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from kgc_erp.tenants.models import Tenant

from .models import DEFAULT_KEY_LIFETIME, ApiKey
from .scopes import Scope

KEY_PREFIX = "kgc_"
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PREFIX_LENGTH = 8
# How long the predecessor of a rotated key keeps working, so the bot can switch over.
DEFAULT_ROTATION_OVERLAP = timedelta(days=7)
# `last_used_at` is written at most this often per key: a write per request would make
# every call of a busy key queue up on the same row lock.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# The columns authentication, scope, rate limit and audit read; any other field of the
# returned key is loaded on first access (a deferred field), which the hot path never does.
# In the model's field order, as Model.from_db expects them.
_KEY_FIELDS = tuple(
    field.attname for field in ApiKey._meta.concrete_fields
    if field.attname in {"id", "tenant_id", "prefix", "key_hash", "scopes",
                         "rate_limit_per_minute", "expires_at", "revoked_at", "last_used_at"}
)
_HASH_COLUMN = _KEY_FIELDS.index("key_hash")
_KEY_BY_PREFIX = (
    f"SELECT {', '.join(_KEY_FIELDS)} FROM {ApiKey._meta.db_table} WHERE prefix = %s"
)


class InvalidKeyFormat(ValueError):
    """The text does not have the shape of one of our keys."""


@dataclass(frozen=True)
class IssuedKey:
    """A freshly generated key. `raw_key` exists only here: it is never stored."""

    api_key: ApiKey
    raw_key: str


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def split_key(raw_key: str) -> tuple[str, str]:
    """(prefix, secret) of a well-formed key, else InvalidKeyFormat."""
    if not raw_key.startswith(KEY_PREFIX):
        raise InvalidKeyFormat("missing kgc_ prefix")
    prefix, sep, secret = raw_key[len(KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != PREFIX_LENGTH or not secret or len(raw_key) > 200:
        raise InvalidKeyFormat("malformed key")
    return prefix, secret


@dataclass(frozen=True)
class KeyMaterial:
    prefix: str
    raw_key: str
    key_hash: str


def _new_prefix() -> str:
    return "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def generate_key_material() -> KeyMaterial:
    """A new random key with a prefix no stored key uses."""
    prefix = _new_prefix()
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = _new_prefix()
    raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return KeyMaterial(prefix=prefix, raw_key=raw_key, key_hash=hash_key(raw_key))


@transaction.atomic
def issue_api_key(
    *,
    tenant: Tenant,
    name: str,
    scopes: Iterable[Scope | str] = (Scope.READ,),
    created_by: User | None = None,
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
    rotated_from: ApiKey | None = None,
) -> IssuedKey:
    """Generate a key, store its hash and prefix, and return the key text once."""
    scope_values = sorted({Scope(str(scope)).value for scope in scopes})
    if not scope_values:
        raise ValueError("An API key needs at least one scope.")
    material = generate_key_material()
    api_key = ApiKey(
        tenant=tenant,
        name=name,
        prefix=material.prefix,
        key_hash=material.key_hash,
        scopes=scope_values,
        created_by=created_by if created_by and created_by.is_authenticated else None,
        expires_at=expires_at or timezone.now() + DEFAULT_KEY_LIFETIME,
        rotated_from=rotated_from,
    )
    if rate_limit_per_minute is not None:
        api_key.rate_limit_per_minute = rate_limit_per_minute
    api_key.save()
    return IssuedKey(api_key=api_key, raw_key=material.raw_key)


def find_key(raw_key: str) -> ApiKey | None:
    """The stored key matching `raw_key` (usable or not), or None. Constant-time compare."""
    try:
        prefix, _secret = split_key(raw_key)
    except InvalidKeyFormat:
        return None
    # A plain cursor on the hot path: the ORM (or a RawQuerySet's column mapping) costs
    # several times the CPU of the statement for the same row.
    with connection.cursor() as cursor:
        cursor.execute(_KEY_BY_PREFIX, [prefix])
        row = cursor.fetchone()
    if row is None or not hmac.compare_digest(row[_HASH_COLUMN], hash_key(raw_key)):
        return None
    return ApiKey.from_db(connection.alias, _KEY_FIELDS, row)


def touch_last_used(api_key: ApiKey, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


@transaction.atomic
def rotate_api_key(
    api_key: ApiKey,
    *,
    created_by: User | None = None,
    overlap: timedelta = DEFAULT_ROTATION_OVERLAP,
    lifetime: timedelta = DEFAULT_KEY_LIFETIME,
) -> IssuedKey:
    """Issue a successor with the same tenant, name and scopes; the old key keeps working
    for `overlap` (never longer than it would have anyway), then expires."""
    old = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if old.revoked_at is not None:
        raise ValueError("A revoked key cannot be rotated.")
    if hasattr(old, "rotated_to"):
        raise ValueError("This key has already been rotated.")
    now = timezone.now()
    issued = issue_api_key(
        tenant=old.tenant,
        name=old.name,
        scopes=old.scopes,
        created_by=created_by,
        expires_at=now + lifetime,
        rate_limit_per_minute=old.rate_limit_per_minute,
        rotated_from=old,
    )
    old.expires_at = min(old.expires_at, now + overlap)
    old.save(update_fields=["expires_at"])
    api_key.expires_at = old.expires_at
    return issued


def revoke_api_key(api_key: ApiKey) -> ApiKey:
    """Stop a key at once. Revoking twice keeps the first revocation time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key
