"""Event-bus handlers of the Krayin backend (ERP -> Krayin), called by the CRM plugin's
backend dispatch (`apps/crm_plugin/backends.py`) when the tenant's `crm_backend` is
"krayin".

Each re-reads the row (never the payload) and is idempotent; Krayin's typed errors are
delivery errors, so they propagate. `context.attempt > 1` means an earlier attempt may
have written before failing (a lost response), so the use cases look before creating.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from apps.crm_plugin.erp_history import RecordKind, deliverable_row
from apps.plugin_manager.eventbus import external_refs
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.partners.models import Partner
from kgc_erp.service.models import Worklog

from . import mappers
from .activities import push_note
from .client import KrayinClient
from .config import SYSTEM, KrayinConfig
from .leads import CONVERSATION_OBJECT_TYPE, ensure_lead, is_purchase
from .partner_sync import push_history, push_partners
from .persons import delete_person


@contextmanager
def krayin_client(context: DeliveryContext) -> Iterator[KrayinClient]:
    """A client for the delivery's tenant settings, closed afterwards."""
    with KrayinClient(KrayinConfig.from_settings(context.settings)) as client:
        yield client


def _retry(context: DeliveryContext) -> bool:
    return context.attempt > 1


def sync_partner(context: DeliveryContext) -> None:
    """partner.created / partner.updated: find-or-create the person; deactivated: delete."""
    partner = context.load_object()
    if partner is None:  # deleted meanwhile: partner.deleted does the rest
        return
    assert isinstance(partner, Partner)
    with krayin_client(context) as client:
        if partner.is_active:
            push_partners(client, [partner], maybe_done=_retry(context))
        else:
            delete_person(client, partner.pk, partner.tenant_id, partner)


def remove_partner(context: DeliveryContext) -> None:
    """partner.deleted (erasure or delete): Krayin has no trash, the person goes (and with
    it, by Krayin's cascade, its leads and timeline)."""
    partner = context.load_object()
    with krayin_client(context) as client:
        delete_person(client, int(context.object_id), context.tenant.pk,
                      partner if isinstance(partner, Partner) else None)


def sync_history(context: DeliveryContext, kind: RecordKind) -> None:
    row = deliverable_row(context)
    if row is None:
        return
    with krayin_client(context) as client:
        push_partners(client, [row.partner], maybe_done=_retry(context))  # aggregates changed
        push_history(client, kind, [row], maybe_done=_retry(context))


def rental_late(context: DeliveryContext) -> None:
    """Payment status LATE: the aggregates note is recomputed."""
    rental = deliverable_row(context)
    if rental is None:
        return
    with krayin_client(context) as client:
        push_partners(client, [rental.partner], maybe_done=_retry(context))


def _int_or_zero(value: object) -> int:
    """An id from an event payload (0, which matches no row, when absent or not a number)."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def conversation_created(context: DeliveryContext) -> None:
    """chatwoot.conversation_created: a note on the person's timeline, and a lead when the
    conversation's labels say the customer wants to buy."""
    payload = context.payload
    partner = Partner.objects.filter(pk=_int_or_zero(payload.get("partner_id")),
                                     tenant_id=context.tenant.pk).first()  # fmt: skip
    if partner is None or not partner.is_active:
        return
    worklog = Worklog.objects.filter(pk=_int_or_zero(payload.get("worklog_id"))).first()
    conversation_id = str(context.object_id)
    with krayin_client(context) as client:
        person_id = push_partners(client, [partner], maybe_done=_retry(context))[partner.pk]
        push_note(client, person_id=person_id, tenant_id=partner.tenant_id, obj=None,
                  object_type=CONVERSATION_OBJECT_TYPE, object_id=conversation_id,
                  note=mappers.conversation_note(
                      conversation_id, worklog.number if worklog else None,
                      display_number=str(payload.get("conversation_id") or "") or None),
                  maybe_done=_retry(context))  # fmt: skip
        labels = payload.get("labels")
        if isinstance(labels, list) and is_purchase(labels):
            ensure_lead(client, tenant_id=partner.tenant_id, conversation_id=conversation_id,
                        person_id=person_id, partner_name=mappers.person_name(partner),
                        maybe_done=_retry(context))  # fmt: skip


RESOLUTION_OBJECT_TYPE = "chatwoot.conversation.resolution"
RESOLVED = "resolved"


def conversation_status_changed(context: DeliveryContext) -> None:
    """chatwoot.conversation_status_changed to `resolved`: a note on the timeline of the
    person the conversation's own note is on, once per resolution. A conversation with no
    partner behind it (no note) has no timeline to go on."""
    if context.payload.get("status") != RESOLVED:
        return
    conversation_id = str(context.object_id)
    opened = external_refs.find_ref(SYSTEM, tenant=context.tenant.pk,
                                    object_type=CONVERSATION_OBJECT_TYPE,
                                    object_id=conversation_id)  # fmt: skip
    person_id = opened.data.get("person_id") if opened is not None else None
    if not isinstance(person_id, int):
        return
    display = str(context.payload.get("conversation_id") or "") or None
    with krayin_client(context) as client:
        push_note(client, person_id=person_id, tenant_id=context.tenant.pk, obj=None,
                  object_type=RESOLUTION_OBJECT_TYPE,
                  object_id=f"{conversation_id}:{context.event.pk}",
                  note=mappers.resolution_note(conversation_id, context.event.pk, display),
                  maybe_done=_retry(context))  # fmt: skip


__all__ = ("conversation_created", "conversation_status_changed", "krayin_client",
           "remove_partner", "rental_late", "sync_history", "sync_partner")
