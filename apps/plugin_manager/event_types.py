"""Event types the ERP core emits (through the event bus) that plugins may subscribe to.

Plugins that emit their own events declare them in their manifest's `emits`; the
registry accepts subscriptions to those too. A subscription to anything else is a typo
and fails at startup.
"""

from __future__ import annotations

PARTNER_CREATED = "partner.created"
PARTNER_UPDATED = "partner.updated"
PARTNER_DELETED = "partner.deleted"
RENTAL_STARTED = "rental.started"
RENTAL_COMPLETED = "rental.completed"
RENTAL_LATE = "rental.late"
RENTAL_DUE_TOMORROW = "rental.due_tomorrow"
WORKLOG_STATUS_CHANGED = "worklog.status_changed"
WORKLOG_QUOTE_READY = "worklog.quote_ready"
WORKLOG_COMPLETED = "worklog.completed"
ORDER_ARRIVED = "order.arrived"
ORDER_DELIVERED = "order.delivered"
# Bus-level: one step of a data-subject request is due (object: privacy.privacystep). Plugins
# never list it themselves: declaring `privacy_handlers` subscribes them (registry.py). Not
# offered to outbound webhook subscriptions.
PRIVACY_STEP_DUE = "privacy.step_due"

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(
    {
        PARTNER_CREATED,
        PARTNER_UPDATED,
        PARTNER_DELETED,
        RENTAL_STARTED,
        RENTAL_COMPLETED,
        RENTAL_LATE,
        RENTAL_DUE_TOMORROW,
        WORKLOG_STATUS_CHANGED,
        WORKLOG_QUOTE_READY,
        WORKLOG_COMPLETED,
        ORDER_ARRIVED,
        ORDER_DELIVERED,
    }
)

BUS_EVENT_TYPES: frozenset[str] = frozenset({PRIVACY_STEP_DUE})

__all__ = (
    "BUS_EVENT_TYPES",
    "KNOWN_EVENT_TYPES",
    "ORDER_ARRIVED",
    "ORDER_DELIVERED",
    "PARTNER_CREATED",
    "PARTNER_DELETED",
    "PARTNER_UPDATED",
    "PRIVACY_STEP_DUE",
    "RENTAL_COMPLETED",
    "RENTAL_DUE_TOMORROW",
    "RENTAL_LATE",
    "RENTAL_STARTED",
    "WORKLOG_COMPLETED",
    "WORKLOG_QUOTE_READY",
    "WORKLOG_STATUS_CHANGED",
)
