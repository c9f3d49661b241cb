"""Handlers of inbound Chatwoot webhooks (run by the event bus inbox task, retried on error).

The ERP stays master: nothing here overwrites a partner's fields from Chatwoot. Every
lookup is scoped to the delivery's tenant, whose account the webhook source already
checked (``webhooks.ChatwootSource.check_tenant``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from apps.plugin_manager.eventbus.external_refs import find_ref, link
from apps.plugin_manager.eventbus.models import InboundDelivery, SyncStatus
from apps.plugin_manager.eventbus.outbox.recording import emit_event
from apps.plugin_manager.privacy.tombstones import is_tombstoned
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import add_timeline_entry, open_worklog
from kgc_erp.tenants.models import Tenant

from . import bot_hook
from . import event_types as events
from .config import SYSTEM
from .conversations import KEY_ATTRIBUTE
from .models import ConversationLink
from .partner_matching import match_partner

log = logging.getLogger("support_plugin.chatwoot.inbound")

UNKNOWN_MACHINE = "Nincs megadva (Chatwoot)"
TIMELINE_SOURCE = "chatwoot"


def _tenant(delivery: InboundDelivery) -> Tenant:
    if delivery.tenant is None:
        raise ValueError("Chatwoot deliveries are tenant-scoped")
    return delivery.tenant


def _account_id(payload: dict[str, Any]) -> int:
    return int(payload["account"]["id"])


def _first_message(payload: dict[str, Any]) -> str:
    for message in payload.get("messages") or []:
        content = (message or {}).get("content")
        if isinstance(content, str) and content.strip():
            return content.strip()
    return ""


def _started_by_agent(payload: dict[str, Any]) -> bool:
    """The first message is outgoing (message_type is an INTEGER here, 0 = incoming,
    NOTES §10.3): an agent wrote to the customer, the customer did not ask for service."""
    messages = [m for m in payload.get("messages") or [] if isinstance(m, dict)]
    return bool(messages) and messages[0].get("message_type") not in (0, "incoming")


def on_conversation_created(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """A known customer wrote in: exactly one worklog (source chatwoot) per conversation."""
    tenant = _tenant(delivery)
    account_id = _account_id(payload)
    conversation_id = int(payload["id"])
    custom = payload.get("custom_attributes") or {}
    if custom.get(KEY_ATTRIBUTE) or _started_by_agent(payload):
        return  # opened by us (a notification) or by an agent: not a customer request
    sender = (payload.get("meta") or {}).get("sender") or {}
    partner = match_partner(tenant, sender, account_id)
    if partner is None:
        log.info("chatwoot.conversation.unknown-contact tenant=%s conversation=%s contact=%s",
                 tenant.slug, conversation_id, sender.get("id"))
        return
    with transaction.atomic():
        conversation, _ = ConversationLink.objects.select_for_update().get_or_create(
            tenant=tenant, account_id=account_id, conversation_id=conversation_id,
            defaults={"inbox_id": payload.get("inbox_id"), "contact_id": sender.get("id"),
                      "status": str(payload.get("status") or "")},
        )
        if conversation.worklog_id is not None:
            return  # a redelivery: the worklog exists
        description = _first_message(payload) or f"Chatwoot beszélgetés #{conversation_id}"
        worklog = open_worklog(Worklog(
            partner=partner,
            machine_type=str(custom.get("machine") or UNKNOWN_MACHINE)[:200],
            issue_description=description,
            source=Worklog.Source.CHATWOOT,
        ))
        conversation.worklog = worklog
        conversation.save(update_fields=["worklog", "updated_at"])
        add_timeline_entry(worklog, f"Chatwoot beszélgetésből nyitva (#{conversation_id}).",
                           source=TIMELINE_SOURCE)
        if find_ref(SYSTEM, tenant=tenant, obj=partner) is None and sender.get("id"):
            link(SYSTEM, sender["id"], tenant=tenant, obj=partner,
                 data={"account_id": account_id})
        emit_event(events.CONVERSATION_OPENED, tenant_id=tenant.pk,
                   object_type=events.CONVERSATION_OBJECT_TYPE, object_id=str(conversation_id),
                   payload={"account_id": account_id, "contact_id": sender.get("id"),
                            "worklog_id": worklog.pk, "partner_id": partner.pk})
    log.info("chatwoot.conversation.worklog-opened tenant=%s conversation=%s worklog=%s",
             tenant.slug, conversation_id, worklog.number)


def on_contact_changed(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """contact_created / contact_updated: link to an existing partner by our identifier,
    phone or e-mail. Never writes partner fields; never relinks a partner that already
    has a different contact."""
    tenant = _tenant(delivery)
    account_id = _account_id(payload)
    contact_id = int(payload["id"])
    if is_tombstoned(tenant, phone=str(payload.get("phone_number") or ""),
                     email=str(payload.get("email") or "")):
        # The person was erased on request: never link the contact back to anyone.
        log.warning("privacy.tombstone.refused tenant=%s contact=%s source=chatwoot",
                    tenant.slug, contact_id)
        return
    partner = match_partner(tenant, payload, account_id)
    if partner is None:
        log.info("chatwoot.contact.unmatched tenant=%s contact=%s", tenant.slug, contact_id)
        return
    ref = find_ref(SYSTEM, tenant=tenant, obj=partner)
    if (ref is not None and ref.external_id and ref.external_id != str(contact_id)
            and ref.sync_status != SyncStatus.DELETED
            and ref.data.get("account_id") == account_id):
        log.warning("chatwoot.contact.conflict tenant=%s partner=%s linked=%s other=%s",
                    tenant.slug, partner.pk, ref.external_id, contact_id)
        return
    link(SYSTEM, contact_id, tenant=tenant, obj=partner, data={"account_id": account_id})


def on_conversation_status_changed(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """Recorded on the linked worklog's timeline (``changed_attributes`` is null here, the
    status is read from the payload, NOTES §10.3)."""
    tenant = _tenant(delivery)
    status = str(payload.get("status") or "")
    with transaction.atomic():
        conversation = ConversationLink.objects.select_for_update(of=("self",)).filter(
            tenant=tenant, account_id=_account_id(payload), conversation_id=int(payload["id"])
        ).select_related("worklog").first()
        if conversation is None or conversation.status == status:
            return  # not ours, or already recorded (a redelivery)
        conversation.status = status
        conversation.save(update_fields=["status", "updated_at"])
        if conversation.worklog is not None:
            add_timeline_entry(
                conversation.worklog,
                f"Chatwoot beszélgetés #{conversation.conversation_id} állapota: {status}",
                source=TIMELINE_SOURCE,
            )


def on_message_created(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """Customer messages go to the bot hook (the AI agent's seam)."""
    if not bot_hook.is_customer_message(payload):
        return
    tenant = _tenant(delivery)
    account_id = _account_id(payload)
    conversation = payload.get("conversation") or {}
    sender = payload.get("sender") or {}
    partner = match_partner(tenant, sender, account_id) if sender else None
    bot_hook.dispatch(bot_hook.IncomingMessage(
        tenant_id=tenant.pk,
        account_id=account_id,
        conversation_id=int(conversation["id"]),
        message_id=int(payload["id"]),
        content=str(payload.get("content") or ""),
        conversation_status=str(conversation.get("status") or ""),
        contact_id=sender.get("id"),
        partner_id=partner.pk if partner else None,
        inbox_id=(payload.get("inbox") or {}).get("id"),
        raw=payload,
    ))


__all__ = (
    "on_contact_changed",
    "on_conversation_created",
    "on_conversation_status_changed",
    "on_message_created",
)
