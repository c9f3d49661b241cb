"""Customer orders: status and expected arrival."""

from __future__ import annotations

from django.utils import formats, translation
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from kgc_erp.numbering.sequences import ORDER_PREFIX
from kgc_erp.sales.models import Order

from ..document_numbers import parse_document_number
from ..errors import NotFound
from ..schema import RETRY_AFTER, number_parameter, responses
from ..serializers import OrderArrivalSerializer, OrderStatusSerializer
from ..status_labels import ORDER_STATUS_HU, label
from .base import BotApiView

NUMBER_PARAMETER = number_parameter(ORDER_PREFIX, "Rendelésszám")


def _find_order(view: BotApiView, number: str) -> Order:
    number = parse_document_number(number, ORDER_PREFIX)
    view.audit.object_type = "order"
    view.audit.object_ref = number
    order = Order.objects.filter(tenant_id=view.tenant_id, number=number).first()
    if order is None:
        raise NotFound("Nincs ilyen számú rendelés.")
    view.audit.partner_id = order.partner_id
    return order


class OrderStatusView(BotApiView):
    audit_endpoint = "orders.status"

    @extend_schema(
        operation_id="order_status",
        summary="Rendelés állapota",
        parameters=[NUMBER_PARAMETER, RETRY_AFTER],
        responses=responses({200: OrderStatusSerializer}),
        tags=["Rendelések"],
    )
    def get(self, request: Request, number: str) -> Response:
        order = _find_order(self, number)
        items = [
            {"sku": sku, "name": name, "quantity": quantity}
            for sku, name, quantity in order.lines.order_by("id").values_list(
                "product__sku", "product__name", "quantity"
            )
        ]
        body = {
            "number": order.number,
            "customer_id": order.partner_id,
            "status": order.status,
            "status_hu": label(ORDER_STATUS_HU, order.status),
            "order_date": order.order_date,
            "estimated_arrival": order.estimated_arrival,
            "arrived_at": order.arrived_at,
            "delivered_at": order.delivered_at,
            "total_amount": int(order.total_amount),
            "items": items,
        }
        return Response(OrderStatusSerializer(body).data)


def arrival_message(order: Order) -> str:
    if order.status == Order.Status.DELIVERED:
        return "A rendelést már átadtuk."
    if order.status == Order.Status.ARRIVED:
        return "A rendelés beérkezett, átvehető az üzletben."
    if order.estimated_arrival:
        # Hungarian whatever language the caller's Accept-Language asked for.
        with translation.override("hu"):
            day = formats.date_format(order.estimated_arrival, "Y. F j.")
        return f"A rendelés várható beérkezése: {day}"  # the format ends with "."
    return "A várható beérkezés dátuma még nem ismert; a beszállítói visszaigazolás után jelezzük."


class OrderArrivalView(BotApiView):
    audit_endpoint = "orders.estimated_arrival"

    @extend_schema(
        operation_id="order_estimated_arrival",
        summary="Rendelés várható beérkezése",
        parameters=[NUMBER_PARAMETER, RETRY_AFTER],
        responses=responses({200: OrderArrivalSerializer}),
        tags=["Rendelések"],
    )
    def get(self, request: Request, number: str) -> Response:
        order = _find_order(self, number)
        arrived = order.status in (Order.Status.ARRIVED, Order.Status.DELIVERED)
        body = {
            "number": order.number,
            "status": order.status,
            "status_hu": label(ORDER_STATUS_HU, order.status),
            "estimated_arrival": order.estimated_arrival,
            "arrived": arrived,
            "arrived_at": order.arrived_at,
            "message_hu": arrival_message(order),
        }
        return Response(OrderArrivalSerializer(body).data)
