"""Event-bus handlers of the Twenty backend (ERP -> Twenty), called by the CRM plugin's
backend dispatch (`apps/crm_plugin/backends.py`) when the tenant's `crm_backend` is "twenty".

Each handler re-reads the row (never the payload) and is idempotent (upserts keyed on our
own ids, aggregates recomputed). Twenty's typed errors are delivery errors themselves, so
they propagate: the bus retries the transient ones and dead-letters the permanent ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.partners.models import Partner

from ..erp_history import deliverable_row
from .client import TwentyClient
from .config import TwentyConfig
from .history import push_records
from .kinds import RecordKind
from .people import destroy_partner, push_partners, soft_delete_partner


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


def sync_history(context: DeliveryContext, kind: RecordKind) -> None:
    """The person first (created if missing, aggregates recomputed), then the record."""
    row = deliverable_row(context)
    if row is None:
        return
    with twenty_client(context) as client:
        push_partners(client, [row.partner])
        push_records(client, kind, [row])


def rental_late(context: DeliveryContext) -> None:
    """paymentStatus LATE: recomputed from the ERP (an open late rental) on the person."""
    rental = deliverable_row(context)
    if rental is None:
        return
    with twenty_client(context) as client:
        push_partners(client, [rental.partner])


__all__ = ("remove_partner", "rental_late", "sync_history", "sync_partner", "twenty_client")
