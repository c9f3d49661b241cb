"""PHP sessions as GLPI's API uses them: opaque tokens that die after an idle period.

A token lives until killSession or until it has been idle longer than
`session.gc_maxlifetime`; every accepted request refreshes it (PHP rewrites the session
timestamp on each request). An expired token is gone for good: GLPI answers 401.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from sandboxes.glpi.clock import Clock
from sandboxes.glpi.reports import SessionInfo


@dataclass
class Session:
    token: str
    users_id: int
    login: str
    profiles_id: int
    active_entity: int
    is_recursive: bool
    created_at: str
    last_seen: float


class SessionStore:
    def __init__(self, clock: Clock, idle_seconds: float) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self.init_calls = 0
        self.kill_calls = 0
        self.expired = 0

    def open(self, users_id: int, login: str, profiles_id: int, entity: int) -> Session:
        session = Session(
            token=secrets.token_hex(20),  # the shape of a 40-hex-digit PHP session id
            users_id=users_id,
            login=login,
            profiles_id=profiles_id,
            active_entity=entity,
            is_recursive=True,
            created_at=self._clock.now_text(),
            last_seen=self._clock.monotonic(),
        )
        with self._lock:
            self.init_calls += 1
            self._sessions[session.token] = session
        return session

    def touch(self, token: str) -> Session | None:
        """The live session for `token` (refreshing its idle timer), or None."""
        now = self._clock.monotonic()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.last_seen > self.idle_seconds:
                del self._sessions[token]
                self.expired += 1
                return None
            session.last_seen = now
            return session

    def kill(self, token: str) -> None:
        with self._lock:
            self.kill_calls += 1
            self._sessions.pop(token, None)

    def expire_all(self) -> int:
        with self._lock:
            count = len(self._sessions)
            self.expired += count
            self._sessions.clear()
            return count

    def reset(self) -> None:
        with self._lock:
            self._sessions.clear()
            self.init_calls = self.kill_calls = self.expired = 0

    def describe(self) -> list[SessionInfo]:
        now = self._clock.monotonic()
        with self._lock:
            return [
                {
                    "token": s.token,
                    "users_id": s.users_id,
                    "login": s.login,
                    "profiles_id": s.profiles_id,
                    "active_entity": s.active_entity,
                    "is_recursive": s.is_recursive,
                    "created_at": s.created_at,
                    "idle_seconds": round(now - s.last_seen, 3),
                    "expires_in": round(self.idle_seconds - (now - s.last_seen), 3),
                }
                for s in self._sessions.values()
                if now - s.last_seen <= self.idle_seconds
            ]
