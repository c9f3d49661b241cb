"""Who receives an event: enabled plugins (from the plugin manager's runtime) and the
tenant's active outbound webhook subscriptions (resolved in SQL by recording.py)."""

from __future__ import annotations

from .models.subscriptions import SUBSCRIBER_PREFIX


def plugin_subscribers(event_type: str, tenant_id: int) -> list[str]:
    """Ids of the plugins enabled for this tenant that subscribe to `event_type`."""
    from apps.plugin_manager import runtime

    seen: dict[str, None] = {}
    for plugin_id, _handler in runtime.subscribers_for_event(event_type, tenant_id):
        seen.setdefault(plugin_id, None)
    return list(seen)


def is_webhook_subscriber(subscriber: str) -> bool:
    return subscriber.startswith(SUBSCRIBER_PREFIX)


def webhook_subscription_id(subscriber: str) -> int | None:
    try:
        return int(subscriber.removeprefix(SUBSCRIBER_PREFIX))
    except ValueError:
        return None


__all__ = ("is_webhook_subscriber", "plugin_subscribers", "webhook_subscription_id")
