"""Backend-neutral event-bus subscribers of the CRM plugin: Twenty or Krayin per tenant.

The manifest subscribes these functions; each delivery picks the backend from the
tenant's effective settings (`crm_backend`) at the moment it runs, so switching a tenant
is safe: an event is handled by exactly one backend (the one selected when its delivery
runs), and none is lost (deliveries queued before the switch go to the new backend).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext

from .erp_history import RecordKind

log = logging.getLogger("crm_plugin.backends")

TWENTY = "twenty"
KRAYIN = "krayin"
DEFAULT_BACKEND = TWENTY
BACKENDS: dict[str, str] = {
    TWENTY: "apps.crm_plugin.twenty.outbound",
    KRAYIN: "apps.crm_plugin.krayin.outbound",
}
BACKEND_LABELS = {TWENTY: "Twenty", KRAYIN: "Krayin"}


class UnknownBackend(PermanentDeliveryError):
    """`crm_backend` names no backend: retrying cannot help until an admin fixes it."""


def backend_of(settings: Mapping[str, object]) -> str:
    value = str(settings.get("crm_backend") or DEFAULT_BACKEND).strip().lower()
    if value not in BACKENDS:
        raise UnknownBackend(f"crm_backend {value!r} is not one of {sorted(BACKENDS)}")
    return value


def _handler(backend: str, name: str) -> Callable[..., None] | None:
    module = importlib.import_module(BACKENDS[backend])
    handler = getattr(module, name, None)
    return handler if callable(handler) else None


def _dispatch(name: str, context: DeliveryContext, *args: Any) -> None:
    backend = backend_of(context.settings)
    handler = _handler(backend, name)
    if handler is None:  # e.g. Twenty shows no Chatwoot conversations
        log.debug("crm backend %s has no %s handler; %s skipped", backend, name,
                  context.event_type)
        return
    handler(context, *args)


def sync_partner(context: DeliveryContext) -> None:
    _dispatch("sync_partner", context)


def remove_partner(context: DeliveryContext) -> None:
    _dispatch("remove_partner", context)


# A finished history row: each backend's `sync_history(context, kind)` writes the
# partner (aggregates changed) and the row, the same way for the three kinds.
def rental_completed(context: DeliveryContext) -> None:
    _dispatch("sync_history", context, RecordKind.RENTAL)


def rental_late(context: DeliveryContext) -> None:
    _dispatch("rental_late", context)


def worklog_completed(context: DeliveryContext) -> None:
    _dispatch("sync_history", context, RecordKind.SERVICE)


def order_delivered(context: DeliveryContext) -> None:
    _dispatch("sync_history", context, RecordKind.SALES)


def conversation_created(context: DeliveryContext) -> None:
    _dispatch("conversation_created", context)


def conversation_status_changed(context: DeliveryContext) -> None:
    _dispatch("conversation_status_changed", context)


__all__ = ("BACKENDS", "BACKEND_LABELS", "DEFAULT_BACKEND", "KRAYIN", "TWENTY", "UnknownBackend",
           "backend_of", "conversation_created", "conversation_status_changed",
           "order_delivered", "remove_partner",
           "rental_completed", "rental_late", "sync_partner", "worklog_completed")
