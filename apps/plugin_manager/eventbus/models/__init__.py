"""Event bus models: the outbox (events, deliveries, attempts), external id links,
the inbound webhook inbox and outbound webhook subscriptions."""

from apps.plugin_manager.eventbus.models.external_ref import ExternalRef, SyncStatus
from apps.plugin_manager.eventbus.models.inbox import InboundAttempt, InboundDelivery
from apps.plugin_manager.eventbus.models.outbox import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    Event,
)
from apps.plugin_manager.eventbus.models.subscriptions import WebhookSubscription

__all__ = (
    "AttemptOutcome",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "ExternalRef",
    "InboundAttempt",
    "InboundDelivery",
    "SyncStatus",
    "WebhookSubscription",
)
