"""The whole simulated Krayin instance: its tables, options, faults, log and webhooks.

All state sits behind one re-entrant lock; an API call runs entirely under it, which
serialises requests the way one database transaction per call would isolate them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sandboxes.krayin.clock import DEFAULT_TIMEZONE
from sandboxes.krayin.faults import FaultInjector
from sandboxes.krayin.models import Activity, JsonObject, JsonValue, Lead, Person, columns
from sandboxes.krayin.placeholders import lead_placeholders, person_placeholders
from sandboxes.krayin.request_log import RequestLog
from sandboxes.krayin.state import Tables, fresh_tables
from sandboxes.krayin.throttle import DEFAULT_PER_MINUTE, PERSON_DELETES_PER_HOUR, Throttle
from sandboxes.krayin.webhooks import (
    WebhookDispatcher,
    Workflow,
    build_request,
    entity_type_of,
    workflow_from_json,
)


@dataclass(frozen=True)
class SandboxOptions:
    email: str = "admin@example.com"
    password: str = "secret"
    name: str = "API Bot"
    # APP_DEBUG decides how auth failures, 404s and 429s are rendered (NOTES section 6).
    app_debug: bool = False
    timezone: str = DEFAULT_TIMEZONE
    rate_limit: int = DEFAULT_PER_MINUTE


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.initial_options = self.options
        self.lock = threading.RLock()
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.throttle = Throttle(self.options.rate_limit)
        self.person_delete_throttle = Throttle(
            PERSON_DELETES_PER_HOUR if self.options.rate_limit else 0, window=3600.0
        )
        self.dispatcher = WebhookDispatcher()
        self.workflows: dict[int, Workflow] = {}
        self.tz = ZoneInfo(self.options.timezone)
        self.db: Tables = fresh_tables(self.options.name, self.options.email, self.options.password)

    # -- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """A fresh install: seed data only, no tokens, workflows, faults or log; the options
        (APP_DEBUG, rate limit) the sandbox was started with."""
        with self.lock:
            self.options = self.initial_options
            self.db = fresh_tables(self.options.name, self.options.email, self.options.password)
            self.workflows.clear()
            self.faults.clear()
            self.log.clear()
            self.dispatcher.deliveries.clear()
            self.throttle.configure(self.options.rate_limit)
            self.person_delete_throttle.configure(
                PERSON_DELETES_PER_HOUR if self.options.rate_limit else 0
            )

    def configure(self, *, app_debug: bool | None = None, rate_limit: int | None = None) -> None:
        with self.lock:
            if app_debug is not None:
                self.options = replace(self.options, app_debug=app_debug)
            if rate_limit is not None:
                self.options = replace(self.options, rate_limit=rate_limit)
                self.throttle.configure(rate_limit)
                # rate_limit 0 switches both limits off; otherwise the hourly one is fixed.
                self.person_delete_throttle.configure(PERSON_DELETES_PER_HOUR if rate_limit else 0)

    def close(self) -> None:
        self.dispatcher.stop()

    # -- workflows -------------------------------------------------------------------------

    def add_workflow(self, data: JsonObject) -> Workflow:
        with self.lock:
            workflow = workflow_from_json(max(self.workflows, default=0) + 1, data)
            self.workflows[workflow.id] = workflow
            return workflow

    def emit(self, event: str, record: Lead | Person | Activity) -> None:
        """Run the workflows listening to `event` against the record as it is now."""
        with self.lock:
            entity_type = entity_type_of(event)
            if isinstance(record, Lead):
                values = lead_placeholders(self.db, record, self.tz)
            elif isinstance(record, Person):
                values = person_placeholders(self.db, record)
            else:
                values = {}
            raw = columns(record)
            for workflow in self.workflows.values():
                if workflow.applies(event, raw):
                    self.dispatcher.enqueue(
                        workflow, event, build_request(workflow, entity_type, values)
                    )

    # -- inspection ------------------------------------------------------------------------

    def state(self) -> JsonObject:
        with self.lock:
            tokens: list[JsonValue] = [
                {"id": t.id, "user_id": t.user_id, "name": t.name} for t in self.db.tokens.values()
            ]
            return {
                "records": dict(self.db.counts()),
                "login_count": self.db.login_count,
                "active_tokens": len(tokens),
                "tokens": list(tokens),
                "app_debug": self.options.app_debug,
                "timezone": self.options.timezone,
                "rate_limit": self.throttle.per_minute,
                "workflows": len(self.workflows),
                "faults": self.faults.describe(),
                "requests": len(self.log),
            }
