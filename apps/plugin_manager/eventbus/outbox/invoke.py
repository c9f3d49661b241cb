"""Calling the subscriber of one delivery: a plugin handler or an outbound webhook.

Decides, at delivery time, whether the call may happen at all: a plugin that was switched
off (or removed, or no longer subscribes) gets no call and the delivery is skipped; a
plugin whose circuit is open (health DOWN) keeps the delivery queued.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.utils.module_loading import import_string

from apps.plugin_manager.eventbus.errors import SetupPendingError
from apps.plugin_manager.eventbus.models import Event
from apps.plugin_manager.eventbus.object_refs import NOT_READ, Current
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from apps.plugin_manager.eventbus.outbox.outbound_webhooks import send_webhook
from apps.plugin_manager.eventbus.outbox.subscribers import (
    get_subscription,
    is_webhook_subscriber,
    webhook_subscription_id,
)


class SkipDelivery(Exception):
    """The subscriber must not be called any more (disabled, removed, unsubscribed)."""


class PostponeDelivery(Exception):
    """The subscriber cannot be called now (circuit open); try later without an attempt."""


@cache
def _handler(dotted_path: str) -> Callable[[DeliveryContext], object]:
    return import_string(dotted_path)


def _call_webhook(subscriber: str, event: Event, current: Current) -> int:
    subscription_id = webhook_subscription_id(subscriber)
    subscription = get_subscription(subscription_id) if subscription_id is not None else None
    if subscription is None or not subscription.is_active:
        raise SkipDelivery("a webhook feliratkozás törölve vagy kikapcsolva")
    return send_webhook(subscription, event, event.tenant.slug, current)


def _call_plugin(plugin_id: str, event: Event, attempt: int, delivery_id: int) -> None:
    from apps.plugin_manager import runtime, setup_steps, snapshot

    tenant_id = event.tenant_id
    # The checks and the settings the handler gets come from one state snapshot (one
    # version read); the handler itself runs outside the pin, so it sees its own writes.
    with snapshot.pin():
        if not runtime.is_enabled(plugin_id, tenant_id):
            raise SkipDelivery("a bővítmény ki van kapcsolva vagy nincs telepítve")
        handler_path = runtime.get_plugin(plugin_id).subscriptions.get(event.type)
        if not handler_path:
            raise SkipDelivery("a bővítmény már nem iratkozik fel erre az eseményre")
        if runtime.is_circuit_open(plugin_id, tenant_id):
            raise PostponeDelivery("a bővítmény nem elérhető (áramkör nyitva)")
        settings = runtime.get_plugin_settings(plugin_id, tenant_id)
    try:
        setup_steps.require(plugin_id, tenant_id, settings)
    except setup_steps.SetupPending as exc:
        raise PostponeDelivery(str(exc)) from exc
    context = DeliveryContext(
        event=event,
        plugin_id=plugin_id,
        tenant=event.tenant,
        settings=settings,
        attempt=attempt,
        delivery_id=delivery_id,
    )
    try:
        _handler(handler_path)(context)
    except SetupPendingError as exc:
        # What the setup step creates is gone (or never was): run the step, wait for it.
        setup_steps.forget(plugin_id, settings)
        setup_steps.queue_setup(plugin_id, tenant_id)
        raise PostponeDelivery(exc.message) from exc


def invoke_subscriber(
    subscriber: str, event: Event, attempt: int, delivery_id: int, current: Current = NOT_READ
) -> int | None:
    """Run the subscriber; returns an HTTP status when there is one. Raises DeliveryError,
    SkipDelivery, PostponeDelivery, or whatever the handler raised. `current`: the object's
    row, when the caller read it already (used by outbound webhooks; plugin handlers read
    it themselves, as often as they like)."""
    if is_webhook_subscriber(subscriber):
        return _call_webhook(subscriber, event, current)
    _call_plugin(subscriber, event, attempt, delivery_id)
    return None


__all__ = ("PostponeDelivery", "SkipDelivery", "invoke_subscriber")
