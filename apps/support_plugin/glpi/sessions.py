"""One GLPI session per tenant and process, reused across calls and killed at shutdown.

GLPI sessions are PHP sessions: cheap to keep, but every ``initSession`` is a login (and
a session file on the server), so a worker logs in once per tenant and reuses the token
until GLPI says it expired (NOTES §2, §7). Sessions are read-only by default, so the
threads of one process may share a token. A re-init after an expiry happens once, under
a lock, and only if no other thread already replaced the expired token.

Shutdown: ``atexit`` and Celery's ``worker_process_shutdown`` signal call
``kill_all_sessions`` (a killed worker's sessions simply expire on the GLPI side).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading

import requests

from .client import Connection, GlpiClient
from .errors import GlpiError

log = logging.getLogger("support_plugin.glpi.sessions")


class GlpiSession:
    """The session token of one (tenant, connection) in this process."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.http = requests.Session()
        # Deliveries to a local GLPI must never go through an environment proxy.
        self.http.trust_env = False
        self._token: str | None = None
        self._lock = threading.Lock()
        self.init_calls = 0
        # The API user's GLPI id (getFullSession), read once: the poll skips its followups.
        self.user_id: int | None = None

    def token(self, client: GlpiClient) -> str:
        """The current token, logging in first if there is none yet."""
        token = self._token
        if token is not None:
            return token
        with self._lock:
            if self._token is None:
                self._token = self._login(client)
            return self._token

    def renew(self, client: GlpiClient, *, expired: str) -> str:
        """Replace ``expired`` with a fresh token (once, whichever thread comes first)."""
        with self._lock:
            if self._token is None or self._token == expired:
                self._token = self._login(client)
            return self._token

    def _login(self, client: GlpiClient) -> str:
        token = client.init_session()
        self.init_calls += 1
        log.info("glpi.session.init url=%s", self.connection.base)
        return token

    def kill(self) -> None:
        with self._lock:
            token, self._token = self._token, None
        if token is None:
            return
        try:
            GlpiClient(self).kill_session(token)
        except GlpiError as exc:  # an expired session is the same as a killed one
            log.debug("glpi.session.kill-failed url=%s: %s", self.connection.base, exc)
        self.http.close()


_registry_lock = threading.Lock()
_sessions: dict[tuple[int | None, str], GlpiSession] = {}


def _key(tenant_id: int | None, connection: Connection) -> tuple[int | None, str]:
    # Changed settings (URL or tokens) mean another session; the tokens are hashed so the
    # key never shows a secret in a debugger or a log.
    digest = hashlib.sha256("\0".join(
        (connection.base, connection.app_token, connection.user_token)).encode()).hexdigest()
    return tenant_id, digest


def session_for(tenant_id: int | None, connection: Connection) -> GlpiSession:
    key = _key(tenant_id, connection)
    session = _sessions.get(key)
    if session is not None:
        return session
    with _registry_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = GlpiSession(connection)
        return session


def kill_all_sessions(**_signal_kwargs: object) -> None:
    """Log out of every GLPI this process logged in to (atexit / worker shutdown)."""
    with _registry_lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for session in sessions:
        session.kill()


def init_calls() -> int:
    """How many initSession calls this process made (benchmarks, tests)."""
    with _registry_lock:
        return sum(session.init_calls for session in _sessions.values())


atexit.register(kill_all_sessions)

__all__ = ("GlpiSession", "init_calls", "kill_all_sessions", "session_for")
