"""The shared plugin-state version token, kept under one key of the default cache.

`read()` runs on every plugin-state lookup of every process (each model save, each
webhook), so it must cost one Redis round trip and nothing more. Django's Redis cache
backend builds a new redis-py client object for each operation (about as much CPU as the
round trip itself), so when the default cache is Django's Redis backend the token is read
through one long-lived client of this process instead, on the same server and key.
Writes are rare and go through the cache API.

The token is a random integer: Django's Redis serializer stores integers as plain digits,
so both paths see the same value. Any other cache backend is used through its API.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from typing import cast

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache

VERSION_KEY = "plugin_manager:state_version"
_DJANGO_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"

_lock = threading.Lock()
# (client, full key) once built; None when the default cache is not Django's Redis backend.
_direct: tuple[redis.Redis, str] | None = None
_resolved = False


def _build_direct() -> tuple[redis.Redis, str] | None:
    config = settings.CACHES[DEFAULT_CACHE_ALIAS]
    if config.get("BACKEND") != _DJANGO_REDIS_BACKEND:
        return None
    location = config.get("LOCATION")
    servers = (
        location.split(",") if isinstance(location, str)
        else list(cast("Iterable[str]", location))
    )
    options = {
        name: value
        for name, value in (config.get("OPTIONS") or {}).items()
        if name in ("socket_connect_timeout", "socket_timeout", "db", "password", "username")
    }
    # The first server is the one Django writes to; redis-py's pool is fork-aware, so a
    # client made before a worker forks is safe to keep.
    client = redis.Redis.from_url(servers[0].strip(), **options)
    return client, cache.make_and_validate_key(VERSION_KEY)


def _direct_client() -> tuple[redis.Redis, str] | None:
    global _direct, _resolved
    if not _resolved:
        with _lock:
            if not _resolved:
                _direct = _build_direct()
                _resolved = True
    return _direct


def _read_once() -> object:
    direct = _direct_client()
    if direct is None:
        return cache.get(VERSION_KEY)
    client, key = direct
    return client.get(key)


def read() -> object:
    """The current token (opaque, compare with ==); raises when the cache is unreachable."""
    version = _read_once()
    if version is None:
        # First reader after a flush: agree on one token (add is atomic) and use it.
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        version = _read_once()
    return version


def publish_new() -> None:
    """Store a fresh token: every process reloads its snapshot on its next lookup."""
    cache.set(VERSION_KEY, secrets.randbits(62), timeout=None)


def forget_client() -> None:
    """Rebuild the direct client on next use (the cache settings changed)."""
    global _direct, _resolved
    with _lock:
        if _direct is not None:
            _direct[0].close()
        _direct, _resolved = None, False


__all__ = ("VERSION_KEY", "forget_client", "publish_new", "read")
