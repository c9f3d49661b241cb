"""One simulated GLPI server: the store, sessions, clock, faults and request log together."""

from __future__ import annotations

from sandboxes.glpi.api import GlpiApi
from sandboxes.glpi.clock import Clock
from sandboxes.glpi.config import SandboxOptions
from sandboxes.glpi.faults import FaultInjector
from sandboxes.glpi.request_log import RequestLog
from sandboxes.glpi.sessions import SessionStore
from sandboxes.glpi.state import Store


class Sandbox:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.clock = Clock()
        self.store = Store(options, self.clock)
        self.sessions = SessionStore(self.clock, options.session_idle_seconds)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.api = GlpiApi(self.store, self.sessions)

    def reset(self) -> None:
        """A fresh install: seed data only, no sessions, log, faults or clock offset."""
        self.clock.reset()
        self.store.reset()
        self.sessions.reset()
        self.faults.clear()
        self.log.clear()
