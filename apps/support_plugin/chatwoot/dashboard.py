"""The agents' context panel: a Chatwoot dashboard app (an iframe in the conversation view)
showing the customer's partner card, active rentals, open worklogs and recent orders.

Chatwoot hands the iframe the conversation's contact by ``postMessage`` (NOTES §9), so the
page asks our JSON-free HTML endpoint for the card of that contact. Both URLs carry a
per-tenant signed token (``django.core.signing``, salted with the tenant and its account):
a token of one tenant opens nothing of another.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db.models import QuerySet

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import Tenant

from .partner_stats import OPEN_WORKLOG_STATUSES

RECENT_ORDERS = 5


def _signer(tenant: Tenant, account_id: int | None) -> signing.Signer:
    return signing.Signer(salt=f"support.chatwoot.dashboard:{tenant.pk}:{account_id or 0}")


def dashboard_token(tenant: Tenant, account_id: int | None) -> str:
    return _signer(tenant, account_id).sign(tenant.slug)


def token_is_valid(tenant: Tenant, account_id: int | None, token: str) -> bool:
    try:
        return _signer(tenant, account_id).unsign(token) == tenant.slug
    except signing.BadSignature:
        return False


@dataclass(frozen=True)
class AgentContext:
    partner: Partner
    active_rentals: QuerySet[Rental]
    open_worklogs: QuerySet[Worklog]
    recent_orders: QuerySet[Order]


def agent_context(partner: Partner) -> AgentContext:
    return AgentContext(
        partner=partner,
        active_rentals=Rental.objects.filter(
            partner=partner, status__in=(Rental.Status.ACTIVE, Rental.Status.LATE)
        ).select_related("machine").order_by("end_date"),
        open_worklogs=Worklog.objects.filter(
            partner=partner, status__in=OPEN_WORKLOG_STATUSES
        ).order_by("-created_at"),
        recent_orders=Order.objects.filter(partner=partner).order_by("-order_date", "-id")[
            :RECENT_ORDERS
        ],
    )


__all__ = ("AgentContext", "agent_context", "dashboard_token", "token_is_valid")
