"""Event bus models: the outbox (events, deliveries, attempts), external id links,
the inbound webhook inbox and outbound webhook subscriptions."""

from .external_ref import ExternalRef, SyncStatus
from .inbox import InboundDelivery
from .outbox import Delivery, DeliveryAttempt, Event
from .subscriptions import WebhookSubscription

__all__ = (
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "ExternalRef",
    "InboundDelivery",
    "SyncStatus",
    "WebhookSubscription",
)
