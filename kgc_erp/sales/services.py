"""Customer order use cases: placing, ordering from the supplier, arrival, hand-over."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import DecimalField, F, Sum
from django.utils import timezone

from kgc_erp.numbering.sequences import ORDER_PREFIX, allocate_number
from kgc_erp.state_machine import ensure_transition

from .models import Order, OrderLine, Product
from .signals import order_arrived, order_delivered

Status = Order.Status
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.ORDERED}),
    Status.ORDERED: frozenset({Status.ARRIVED}),
    Status.ARRIVED: frozenset({Status.DELIVERED}),
    Status.DELIVERED: frozenset(),
}
LABELS = dict(Status.choices)


@transaction.atomic
def place_order(order: Order, lines: Iterable[tuple[Product, int]] = ()) -> Order:
    """Save a new customer order with its lines at the current prices."""
    order.tenant_id = order.partner.tenant_id
    order.order_date = order.order_date or timezone.localdate()
    order.status = Status.PENDING
    order.number = allocate_number(ORDER_PREFIX, order.order_date)
    order.save()
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, quantity=quantity, unit_price=product.price)
        for product, quantity in lines
    )
    recalculate_total(order)
    return order


def recalculate_total(order: Order) -> None:
    total = order.lines.aggregate(
        total=Sum(F("quantity") * F("unit_price"), output_field=DecimalField())
    )["total"]
    order.total_amount = total or 0
    order.save(update_fields=["total_amount", "updated_at"])


@transaction.atomic
def mark_order_ordered(order: Order, estimated_arrival: date | None = None) -> Order:
    order = _locked(order)
    ensure_transition(ALLOWED_TRANSITIONS, order.status, Status.ORDERED, LABELS)
    order.status = Status.ORDERED
    if estimated_arrival:
        order.estimated_arrival = estimated_arrival
    order.save()
    return order


@transaction.atomic
def mark_order_arrived(order: Order) -> Order:
    order = _locked(order)
    ensure_transition(ALLOWED_TRANSITIONS, order.status, Status.ARRIVED, LABELS)
    order.status = Status.ARRIVED
    order.arrived_at = timezone.now()
    order.save()
    order_arrived.send(sender=Order, order=order)
    return order


@transaction.atomic
def mark_order_delivered(order: Order) -> Order:
    order = _locked(order)
    ensure_transition(ALLOWED_TRANSITIONS, order.status, Status.DELIVERED, LABELS)
    order.status = Status.DELIVERED
    order.delivered_at = timezone.now()
    order.save()
    order_delivered.send(sender=Order, order=order)
    return order


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)
