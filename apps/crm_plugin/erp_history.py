"""The ERP history a CRM shows, whatever the backend: which rows, since when.

Finished rows only (completed rentals, done or handed-over worklogs, delivered orders) of
active partners, oldest first by primary key (the initial sync's checkpoint order).
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from django.db.models import QuerySet
from django.utils import timezone

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .aggregates import DONE_WORKLOG_STATUSES

log = logging.getLogger("crm_plugin.erp_history")

HISTORY_DAYS = 365


class RecordKind(StrEnum):
    RENTAL = "rental"
    SERVICE = "service"
    SALES = "sales"


def history_queryset(kind: RecordKind, since: dt.datetime | None = None) -> QuerySet:
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


def deliverable_row(context: DeliveryContext) -> Rental | Worklog | Order | None:
    """The history row of a delivery (rental.completed, rental.late, worklog.completed,
    order.delivered), read again, for either backend's handler; None when it is gone or
    its partner is not active (erased or deactivated: nothing of theirs goes to a CRM)."""
    row = context.load_object()
    if row is None:
        return None
    assert isinstance(row, (Rental, Worklog, Order))
    if not row.partner.is_active:
        log.info("skipping %s %s: partner %s inactive", context.event_type, context.object_id,
                 row.partner_id)
        return None
    return row


__all__ = ("HISTORY_DAYS", "RecordKind", "deliverable_row", "history_queryset", "history_since")
