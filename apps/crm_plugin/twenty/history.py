"""History records: rentals, repairs and orders as rentalRecord / serviceRecord /
salesRecord, upserted on their kgc*Id so a retried or replayed event never duplicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Model, QuerySet
from django.utils import timezone

from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .aggregates import DONE_WORKLOG_STATUSES
from .client import TwentyClient
from .kinds import RecordKind
from .mappers import rental_record_input, sales_record_input, service_record_input

HISTORY_DAYS = 365


def order_lines(order: Order) -> list[dict[str, object]]:
    return [
        {"sku": line.product.sku, "name": line.product.name, "quantity": line.quantity,
         "unitPrice": int(line.unit_price)}
        for line in order.lines.all()
    ]  # fmt: skip


def record_input(kind: RecordKind, obj: Model) -> dict[str, object]:
    if kind is RecordKind.RENTAL:
        assert isinstance(obj, Rental)
        return rental_record_input(obj)
    if kind is RecordKind.SERVICE:
        assert isinstance(obj, Worklog)
        return service_record_input(obj)
    assert isinstance(obj, Order)
    return sales_record_input(obj, order_lines(obj))


def history_queryset(kind: RecordKind, since: dt.datetime | None = None) -> QuerySet:
    """The rows that belong in Twenty (finished ones), oldest first by primary key."""
    qs: QuerySet
    if kind is RecordKind.RENTAL:
        qs = Rental.objects.filter(status=Rental.Status.COMPLETED).select_related("machine")
        if since:
            qs = qs.filter(returned_at__gte=since)
    elif kind is RecordKind.SERVICE:
        qs = Worklog.objects.filter(status__in=DONE_WORKLOG_STATUSES)
        if since:
            qs = qs.filter(completed_at__gte=since)
    else:
        qs = Order.objects.filter(status=Order.Status.DELIVERED).prefetch_related(
            "lines__product"
        )
        if since:
            qs = qs.filter(delivered_at__gte=since)
    return qs.filter(partner__is_active=True).order_by("pk")


def history_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=HISTORY_DAYS)


def push_records(
    client: TwentyClient, kind: RecordKind, rows: Sequence[Model]
) -> list[dict[str, object]]:
    """Upsert one batch (<= 60) of history rows: one call."""
    if not rows:
        return []
    return client.upsert_records(kind, [record_input(kind, row) for row in rows])


__all__ = ("HISTORY_DAYS", "history_queryset", "history_since", "order_lines", "push_records",
           "record_input")
