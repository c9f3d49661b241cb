"""Who receives an event: enabled plugins (from the plugin manager's runtime) and the
tenant's active outbound webhook subscriptions (resolved in SQL by recording.py).

Outbound webhook subscriptions are read on the delivery hot path through a short-lived
per-process cache, so a burst of deliveries to one subscription costs one query, not one
each. Edits apply at once in the process that made them (post_save/post_delete clear the
entry) and within TTL_SECONDS everywhere else. That bound is harmless: after a secret
rotation the old secret stays valid for hours, and a subscription switched off may receive
a couple of seconds' worth of further events it was subscribed to anyway.
"""

from __future__ import annotations

import threading
import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.plugin_manager.eventbus.models import WebhookSubscription
from apps.plugin_manager.eventbus.models.subscriptions import SUBSCRIBER_PREFIX


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


TTL_SECONDS = 2.0

_lock = threading.Lock()
_entries: dict[int, tuple[float, WebhookSubscription | None]] = {}


def get_subscription(subscription_id: int) -> WebhookSubscription | None:
    now = time.monotonic()
    with _lock:
        cached = _entries.get(subscription_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
    with _lock:
        _entries[subscription_id] = (now + TTL_SECONDS, subscription)
    return subscription


@receiver(post_save, sender=WebhookSubscription, dispatch_uid="eventbus.subscription_saved")
@receiver(post_delete, sender=WebhookSubscription, dispatch_uid="eventbus.subscription_deleted")
def _forget(sender: type, instance: WebhookSubscription, **kwargs: object) -> None:
    with _lock:
        _entries.pop(instance.pk, None)


__all__ = (
    "TTL_SECONDS",
    "get_subscription",
    "is_webhook_subscriber",
    "plugin_subscribers",
    "webhook_subscription_id",
)
