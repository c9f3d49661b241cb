"""Event-bus subscribers (outbound, ERP -> Twenty). Wired in CrmPluginConfig.subscriptions.

Each handler re-reads the row (never the payload) and is idempotent (upserts keyed on our
own ids, aggregates recomputed). Twenty's typed errors are delivery errors themselves, so
they propagate: the bus retries the transient ones and dead-letters the permanent ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .client import TwentyClient
from .config import TwentyConfig
from .history import push_records
from .kinds import RecordKind
from .people import destroy_partner, push_partners, soft_delete_partner

log = logging.getLogger("crm_plugin.twenty.outbound")


@contextmanager
def twenty_client(context: DeliveryContext) -> Iterator[TwentyClient]:
    """A client for the delivery's tenant settings, closed afterwards."""
    with TwentyClient(TwentyConfig.from_settings(context.settings)) as client:
        yield client


def sync_partner(context: DeliveryContext) -> None:
    """partner.created / partner.updated: upsert, or soft delete once deactivated."""
    partner = context.load_object()
    if partner is None:  # deleted meanwhile: partner.deleted does the rest
        return
    assert isinstance(partner, Partner)
    with twenty_client(context) as client:
        if partner.is_active:
            push_partners(client, [partner])
        else:
            soft_delete_partner(client, partner.pk, partner.tenant_id)


def remove_partner(context: DeliveryContext) -> None:
    """partner.deleted: GDPR erasure destroys everything; a plain delete trashes."""
    partner_pk = int(context.object_id)
    with twenty_client(context) as client:
        if context.payload.get("erased"):
            destroy_partner(client, partner_pk, context.tenant.pk)
        else:
            soft_delete_partner(client, partner_pk, context.tenant.pk)


def _sync_history(context: DeliveryContext, kind: RecordKind) -> None:
    """The person first (created if missing, aggregates recomputed), then the record."""
    row = context.load_object()
    if row is None:
        return
    assert isinstance(row, (Rental, Worklog, Order))
    partner = row.partner
    if not partner.is_active:  # erased or deactivated: nothing of theirs goes to the CRM
        log.info("skipping %s %s: partner %s inactive", kind, context.object_id, partner.pk)
        return
    with twenty_client(context) as client:
        push_partners(client, [partner])
        push_records(client, kind, [row])


def rental_completed(context: DeliveryContext) -> None:
    _sync_history(context, RecordKind.RENTAL)


def worklog_completed(context: DeliveryContext) -> None:
    _sync_history(context, RecordKind.SERVICE)


def order_delivered(context: DeliveryContext) -> None:
    _sync_history(context, RecordKind.SALES)


def rental_late(context: DeliveryContext) -> None:
    """paymentStatus LATE: recomputed from the ERP (an open late rental) on the person."""
    rental = context.load_object()
    if rental is None:
        return
    assert isinstance(rental, Rental)
    if not rental.partner.is_active:
        return
    with twenty_client(context) as client:
        push_partners(client, [rental.partner])


HANDLERS: dict[str, Callable[[DeliveryContext], None]] = {
    "partner.created": sync_partner,
    "partner.updated": sync_partner,
    "partner.deleted": remove_partner,
    "rental.completed": rental_completed,
    "rental.late": rental_late,
    "worklog.completed": worklog_completed,
    "order.delivered": order_delivered,
}

__all__ = ("HANDLERS", "order_delivered", "remove_partner", "rental_completed", "rental_late",
           "sync_partner", "twenty_client", "worklog_completed")
