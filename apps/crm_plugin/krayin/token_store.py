"""The Krayin Bearer token, shared by every process and thread through the Django cache.

Every `POST /login` deletes all older tokens of the user (NOTES.md §1), so workers that
each logged in for themselves would revoke each other in a loop. Instead one token per
Krayin user lives in the cache (Redis); a worker logs in only under the cache lock and
only if the cached token is still the one that just failed; otherwise another worker has
already logged in and its token is taken over. A token that fails again within
`MIN_RELOGIN_SECONDS` of its login is not replaced: Krayin in production renders a 429
exactly like a bad token (a 500), and re-logging in on throttling would revoke everyone.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger("crm_plugin.krayin.token_store")

LOCK_SECONDS = 30
LOCK_WAIT_SECONDS = 35.0
LOCK_POLL_SECONDS = 0.05
MIN_RELOGIN_SECONDS = 20.0


@dataclass(frozen=True)
class CachedToken:
    token: str
    issued_at: float


class TokenTooFresh(Exception):
    """The failing token was issued moments ago: not an auth problem (likely throttling)."""


class TokenStore:
    def __init__(self, account_key: str, login: Callable[[], str]) -> None:
        self._key = f"crm:krayin:token:{account_key}"
        self._lock_key = f"{self._key}:lock"
        self._login = login

    def _read(self) -> CachedToken | None:
        try:
            value = cache.get(self._key)
        except Exception:  # the cache being down must not stop deliveries
            log.warning("token cache unreadable", exc_info=True)
            return None
        if isinstance(value, dict) and isinstance(value.get("token"), str):
            return CachedToken(str(value["token"]), float(value.get("issued_at") or 0))
        return None

    def _write(self, token: str) -> None:
        try:
            cache.set(self._key, {"token": token, "issued_at": time.time()}, None)
        except Exception:
            log.warning("token cache unwritable", exc_info=True)

    def current(self) -> str:
        """The shared token, logging in (under the lock) when there is none yet."""
        cached = self._read()
        return cached.token if cached else self.replace(None)

    def replace(self, failed: str | None) -> str:
        """A working token after `failed` was refused (None: there was none)."""
        owner = uuid.uuid4().hex
        locked = self._acquire(owner)
        try:
            cached = self._read()
            if cached is not None and cached.token != failed:
                return cached.token  # another worker logged in meanwhile: take it over
            if cached is not None and time.time() - cached.issued_at < MIN_RELOGIN_SECONDS:
                raise TokenTooFresh("the token was issued moments ago")
            token = self._login()
            self._write(token)
            log.info("krayin login (token %s replaced)", "none" if failed is None else "refused")
            return token
        finally:
            if locked:
                self._release(owner)

    def forget(self) -> None:
        try:
            cache.delete(self._key)
        except Exception:
            log.warning("token cache unwritable", exc_info=True)

    def _acquire(self, owner: str) -> bool:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                if cache.add(self._lock_key, owner, LOCK_SECONDS):
                    return True
            except Exception:  # no cache, no lock: log in without it rather than stop
                log.warning("token lock unavailable", exc_info=True)
                return False
            time.sleep(LOCK_POLL_SECONDS)
        log.warning("token lock not acquired in %.0fs; logging in without it", LOCK_WAIT_SECONDS)
        return False

    def _release(self, owner: str) -> None:
        try:
            if cache.get(self._lock_key) == owner:
                cache.delete(self._lock_key)
        except Exception:
            log.warning("token lock not released", exc_info=True)


__all__ = ("MIN_RELOGIN_SECONDS", "TokenStore", "TokenTooFresh")
