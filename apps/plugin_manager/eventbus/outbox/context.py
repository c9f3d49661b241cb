"""What a subscriber handler receives: `def handle(context: DeliveryContext) -> None`.

The handler must re-read the current state (`context.load_object()`) rather than trust
the event's payload, be idempotent (find-or-create through `external_refs`), and signal
failures with the exceptions in `errors.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Model

from apps.plugin_manager.eventbus.models import Event
from apps.plugin_manager.eventbus.object_refs import load_object
from kgc_erp.tenants.models import Tenant


@dataclass
class DeliveryContext:
    event: Event
    plugin_id: str
    tenant: Tenant
    settings: Mapping[str, object]
    attempt: int  # 1 for the first call
    delivery_id: int
    _object_cache: dict[str, Model | None] = field(default_factory=dict, repr=False)

    @property
    def event_type(self) -> str:
        return self.event.type

    @property
    def payload(self) -> Mapping[str, object]:
        return self.event.payload

    @property
    def object_type(self) -> str:
        return self.event.object_type

    @property
    def object_id(self) -> str:
        return self.event.object_id

    def load_object(self) -> Model | None:
        """The referenced row as it is now, or None when it has been deleted."""
        if "obj" not in self._object_cache:
            self._object_cache["obj"] = load_object(self.event.object_type, self.event.object_id)
        return self._object_cache["obj"]

    @property
    def idempotency_key(self) -> str:
        """Stable across retries of this delivery: send it where the remote supports one."""
        return f"{self.event.uuid}:{self.plugin_id}"


__all__ = ("DeliveryContext",)
