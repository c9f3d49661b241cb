"""Core domain signals -> outbox events.

Every receiver runs inside the transaction that made the change (the core sends its
signals there), so the event and its deliveries commit or roll back with the change.
Receivers only record; all outside work happens later in delivery tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.db.models.signals import post_delete, post_save

from apps.plugin_manager import event_types as types
from apps.plugin_manager.eventbus.object_refs import object_ref
from apps.plugin_manager.eventbus.outbox.recording import record_event
from kgc_erp.partners.models import Partner
from kgc_erp.partners.signals import partner_erased
from kgc_erp.rentals import signals as rental_signals
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.sales.signals import order_arrived, order_delivered
from kgc_erp.service.models import Worklog
from kgc_erp.service.signals import worklog_status_changed


def _record(
    event_type: str,
    obj: Partner | Rental | Worklog | Order,
    payload: Mapping[str, object] | None = None,
) -> None:
    object_type, object_id = object_ref(obj)
    record_event(
        event_type,
        tenant_id=obj.tenant_id,
        object_type=object_type,
        object_id=object_id,
        payload=payload,
    )


def on_partner_saved(
    sender: type, instance: Partner, created: bool, raw: bool, **kw: object
) -> None:
    if raw:  # fixture loading is not a business change
        return
    _record(types.PARTNER_CREATED if created else types.PARTNER_UPDATED, instance)


def on_partner_deleted(sender: type, instance: Partner, **kw: object) -> None:
    _record(types.PARTNER_DELETED, instance, {"erased": False})


def on_partner_erased(sender: type, partner: Partner, **kw: object) -> None:
    _record(types.PARTNER_DELETED, partner, {"erased": True})


def _rental_receiver(event_type: str) -> Callable[..., None]:
    def receive(sender: type, rental: Rental, **kw: object) -> None:
        _record(event_type, rental, {"number": rental.number})

    receive.__name__ = f"on_{event_type.replace('.', '_')}"
    return receive


on_rental_started = _rental_receiver(types.RENTAL_STARTED)
on_rental_completed = _rental_receiver(types.RENTAL_COMPLETED)
on_rental_late = _rental_receiver(types.RENTAL_LATE)
on_rental_due_tomorrow = _rental_receiver(types.RENTAL_DUE_TOMORROW)


def on_worklog_status_changed(
    sender: type, worklog: Worklog, old_status: str, new_status: str, **kw: object
) -> None:
    payload = {"number": worklog.number, "old_status": old_status, "new_status": new_status}
    _record(types.WORKLOG_STATUS_CHANGED, worklog, payload)
    if new_status == Worklog.Status.QUOTE:
        _record(types.WORKLOG_QUOTE_READY, worklog, payload)
    elif new_status == Worklog.Status.DONE:
        _record(types.WORKLOG_COMPLETED, worklog, payload)


def on_order_arrived(sender: type, order: Order, **kw: object) -> None:
    _record(types.ORDER_ARRIVED, order, {"number": order.number})


def on_order_delivered(sender: type, order: Order, **kw: object) -> None:
    _record(types.ORDER_DELIVERED, order, {"number": order.number})


def connect() -> None:
    """Called from EventBusConfig.ready(); dispatch_uids make it idempotent."""
    post_save.connect(on_partner_saved, sender=Partner, dispatch_uid="eventbus.partner_saved")
    post_delete.connect(
        on_partner_deleted, sender=Partner, dispatch_uid="eventbus.partner_deleted"
    )
    partner_erased.connect(on_partner_erased, dispatch_uid="eventbus.partner_erased")
    rental_signals.rental_started.connect(on_rental_started, dispatch_uid="eventbus.rental_started")
    rental_signals.rental_completed.connect(
        on_rental_completed, dispatch_uid="eventbus.rental_completed"
    )
    rental_signals.rental_late.connect(on_rental_late, dispatch_uid="eventbus.rental_late")
    # Sent by the core's daily reminder task for each rental due tomorrow.
    rental_signals.rental_due_tomorrow.connect(
        on_rental_due_tomorrow, dispatch_uid="eventbus.rental_due_tomorrow"
    )
    worklog_status_changed.connect(
        on_worklog_status_changed, dispatch_uid="eventbus.worklog_status_changed"
    )
    order_arrived.connect(on_order_arrived, dispatch_uid="eventbus.order_arrived")
    order_delivered.connect(on_order_delivered, dispatch_uid="eventbus.order_delivered")
