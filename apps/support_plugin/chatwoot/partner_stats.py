"""The customer figures a contact carries into Chatwoot (read from the ERP, no HTTP).

One query (three correlated subqueries): this runs on every partner sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    IntegerField,
    Manager,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

OPEN_WORKLOG_STATUSES = tuple(
    s for s in Worklog.Status.values if s != Worklog.Status.HANDED_OVER
)
ACTIVE_RENTAL_STATUSES = (Rental.Status.ACTIVE, Rental.Status.LATE)
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=0)


@dataclass(frozen=True)
class PartnerStats:
    active_rentals: int
    open_worklogs: int
    total_spent: Decimal


def _per_partner(queryset: QuerySet[Model] | Manager[Model], **aggregate: Aggregate) -> Subquery:
    """One aggregate of ``queryset`` for the outer partner row."""
    return Subquery(queryset.filter(partner=OuterRef("pk")).order_by()
                    .values("partner").annotate(**aggregate).values(*aggregate)[:1])


def partner_stats(partner: Partner) -> PartnerStats:
    zero = Value(Decimal(0), output_field=_MONEY)
    row = Partner.objects.filter(pk=partner.pk).annotate(
        active_rentals=Coalesce(_per_partner(Rental.objects, n=Count(
            "id", filter=Q(status__in=ACTIVE_RENTAL_STATUSES))), 0,
            output_field=IntegerField()),
        rental_spent=Coalesce(_per_partner(Rental.objects, s=Sum("total_cost")), zero),
        open_worklogs=Coalesce(_per_partner(Worklog.objects.filter(
            status__in=OPEN_WORKLOG_STATUSES), n=Count("id")), 0, output_field=IntegerField()),
        repair_spent=Coalesce(_per_partner(Worklog.objects, s=Sum("repair_cost")), zero),
        order_spent=Coalesce(_per_partner(Order.objects.filter(
            status=Order.Status.DELIVERED), s=Sum("total_amount")), zero),
    ).values("active_rentals", "open_worklogs", "rental_spent", "repair_spent",
             "order_spent").get()
    return PartnerStats(
        active_rentals=row["active_rentals"],
        open_worklogs=row["open_worklogs"],
        total_spent=row["rental_spent"] + row["repair_spent"] + row["order_spent"],
    )


__all__ = ("PartnerStats", "partner_stats")
