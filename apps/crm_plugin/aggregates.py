"""A partner's history totals for the CRM person, recomputed from the ERP (any backend).

Never incremented: every sync recomputes them from the rows, so retried and replayed
events (at-least-once delivery) and the nightly reconciliation always converge on the
same values. Revenue counts completed rentals, finished repairs and delivered orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

DONE_WORKLOG_STATUSES = (Worklog.Status.DONE, Worklog.Status.HANDED_OVER)


@dataclass(frozen=True)
class Aggregates:
    """A partner's history totals, always recomputed from the ERP (`compute_aggregates`)."""

    total_rentals: int = 0
    total_revenue: Decimal = Decimal(0)
    last_rental_date: dt.date | None = None
    last_service_date: dt.date | None = None
    has_late_rental: bool = False


# Customer tiers by total spend (HUF), highest first: the labels salespeople know.
TIERS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(1_000_000), "arany"),
    (Decimal(300_000), "ezüst"),
    (Decimal(50_000), "bronz"),
    (Decimal(0), "alap"),
)


def tier_for(total_spent: Decimal) -> str:
    for threshold, name in TIERS:
        if total_spent >= threshold:
            return name
    return TIERS[-1][1]


def payment_status(partner: Partner, aggregates: Aggregates) -> str:
    """GOOD / LATE / BLOCKED: BLOCKED wins; an open late rental makes the partner LATE."""
    status = str(partner.payment_status).upper()
    if status == "BLOCKED":
        return status
    if aggregates.has_late_rental:
        return "LATE"
    return status


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


__all__ = ("DONE_WORKLOG_STATUSES", "TIERS", "Aggregates", "compute_aggregates", "payment_status",
           "tier_for")
