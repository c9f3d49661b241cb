"""A partner's history totals for the person record, recomputed from the ERP.

Never incremented: every sync recomputes them from the rows, so retried and replayed
events (at-least-once delivery) and the nightly reconciliation always converge on the
same values. Revenue counts completed rentals, finished repairs and delivered orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .mappers import Aggregates

DONE_WORKLOG_STATUSES = (Worklog.Status.DONE, Worklog.Status.HANDED_OVER)


def compute_aggregates(partner_ids: Iterable[int]) -> dict[int, Aggregates]:
    """Aggregates for each partner id (four grouped queries, whatever the batch size)."""
    ids = list(partner_ids)
    rentals = {
        row["partner_id"]: row
        for row in Rental.objects.filter(partner_id__in=ids)
        .values("partner_id")
        .annotate(
            last_start=Max("start_date"),
            completed=Count("pk", filter=Q(status=Rental.Status.COMPLETED)),
            revenue=Sum("total_cost", filter=Q(status=Rental.Status.COMPLETED)),
            late=Count("pk", filter=Q(status=Rental.Status.LATE)),
        )
    }
    services = {
        row["partner_id"]: row
        for row in Worklog.objects.filter(partner_id__in=ids, status__in=DONE_WORKLOG_STATUSES)
        .values("partner_id")
        .annotate(revenue=Sum("repair_cost"), last_done=Max("completed_at"))
    }
    sales = {
        row["partner_id"]: row["revenue"]
        for row in Order.objects.filter(partner_id__in=ids, status=Order.Status.DELIVERED)
        .values("partner_id")
        .annotate(revenue=Sum("total_amount"))
    }
    result = {}
    for pk in ids:
        rental = rentals.get(pk, {})
        service = services.get(pk, {})
        revenue = (
            (rental.get("revenue") or Decimal(0))
            + (service.get("revenue") or Decimal(0))
            + (sales.get(pk) or Decimal(0))
        )
        last_done = service.get("last_done")
        result[pk] = Aggregates(
            total_rentals=rental.get("completed", 0),
            total_revenue=revenue,
            last_rental_date=rental.get("last_start"),
            last_service_date=last_done.date() if last_done else None,
            has_late_rental=bool(rental.get("late")),
        )
    return result


__all__ = ("compute_aggregates",)
