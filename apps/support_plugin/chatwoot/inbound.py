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


def _contact_info(sender: dict[str, Any]) -> dict[str, Any]:
    return {key: sender.get(key) for key in ("id", "name", "email", "phone_number", "identifier")}


def _first_message_ref(payload: dict[str, Any]) -> dict[str, Any] | None:
    for message in payload.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("id"), int):
            content = message.get("content")
            if isinstance(content, str) and content.strip():
                return {"id": message["id"], "content": content.strip()}
    return None


def _emit_conversation_opened(tenant: Tenant, payload: dict[str, Any], account_id: int,
                              conversation_id: int, sender: dict[str, Any],
                              worklog: Worklog | None, partner_id: int | None) -> None:
    """Every customer conversation goes into the outbox (the GLPI mirror subscribes),
    with or without a known partner."""
    emit_event(events.CONVERSATION_OPENED, tenant_id=tenant.pk,
               object_type=events.CONVERSATION_OBJECT_TYPE,
               object_id=events.conversation_object_id(account_id, conversation_id),
               payload={"account_id": account_id, "conversation_id": conversation_id,
                        "contact_id": sender.get("id"),
                        "worklog_id": worklog.pk if worklog else None,
                        "partner_id": partner_id, "inbox_id": payload.get("inbox_id"),
                        "status": str(payload.get("status") or ""),
                        "labels": [str(label) for label in payload.get("labels") or []],
                        "priority": payload.get("priority"),
                        "first_message": _first_message_ref(payload),
                        "contact": _contact_info(sender)})


def on_conversation_created(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """A customer wrote in: exactly one worklog (source chatwoot) per conversation when the
    customer is a known partner, and one outbox event per conversation either way."""
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
        with transaction.atomic():
            _, created = ConversationLink.objects.get_or_create(
                tenant=tenant, account_id=account_id, conversation_id=conversation_id,
                defaults={"inbox_id": payload.get("inbox_id"), "contact_id": sender.get("id"),
                          "status": str(payload.get("status") or "")},
            )
            if created:  # else a redelivery: the event is in the outbox already
                _emit_conversation_opened(tenant, payload, account_id, conversation_id,
                                          sender, None, None)
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
        _emit_conversation_opened(tenant, payload, account_id, conversation_id, sender,
                                  worklog, partner.pk)
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
        previous, conversation.status = conversation.status, status
        conversation.save(update_fields=["status", "updated_at"])
        emit_event(events.CONVERSATION_STATUS, tenant_id=tenant.pk,
                   object_type=events.CONVERSATION_OBJECT_TYPE,
                   object_id=events.conversation_object_id(conversation.account_id,
                                                           conversation.conversation_id),
                   payload={"account_id": conversation.account_id,
                            "conversation_id": conversation.conversation_id,
                            "status": status, "previous_status": previous})
        if conversation.worklog is not None:
            add_timeline_entry(
                conversation.worklog,
                f"Chatwoot beszélgetés #{conversation.conversation_id} állapota: {status}",
                source=TIMELINE_SOURCE,
            )


def _sender_type(payload: dict[str, Any]) -> str:
    """contact | agent | bot (NOTES §10.3: a contact sender has no ``type`` key)."""
    sender_type = (payload.get("sender") or {}).get("type")
    if payload.get("message_type") == "incoming":
        return "contact"
    if sender_type in ("agent_bot", "captain_assistant"):
        return "bot"
    if payload.get("message_type") == "template":
        return "bot"
    return "agent"


def _emit_message(tenant: Tenant, payload: dict[str, Any], account_id: int,
                  partner_id: int | None) -> None:
    """Every message of a conversation goes into the outbox (the GLPI mirror subscribes);
    the object is the conversation, so one subscriber gets them in order."""
    conversation = payload.get("conversation") or {}
    conversation_id = int(conversation["id"])
    sender = (conversation.get("meta") or {}).get("sender") or {}
    custom = conversation.get("custom_attributes") or {}
    with transaction.atomic():
        emit_event(events.MESSAGE_POSTED, tenant_id=tenant.pk,
                   object_type=events.CONVERSATION_OBJECT_TYPE,
                   object_id=events.conversation_object_id(account_id, conversation_id),
                   payload={"account_id": account_id, "conversation_id": conversation_id,
                            "message_id": int(payload["id"]),
                            "content": str(payload.get("content") or ""),
                            "private": bool(payload.get("private")),
                            "sender_type": _sender_type(payload),
                            "source_id": payload.get("source_id"),
                            "opened_by_us": bool(custom.get(KEY_ATTRIBUTE)),
                            "partner_id": partner_id,
                            "contact": _contact_info(sender if isinstance(sender, dict) else {}),
                            "labels": [str(label) for label in conversation.get("labels") or []],
                            "priority": conversation.get("priority"),
                            "status": str(conversation.get("status") or "")})


def on_message_created(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """Every message goes into the outbox; customer messages also go to the bot hook (the
    AI agent's seam). A retried delivery may emit twice: subscribers are idempotent per
    message id."""
    tenant = _tenant(delivery)
    account_id = _account_id(payload)
    customer = bot_hook.is_customer_message(payload)
    sender = payload.get("sender") or {}
    partner = match_partner(tenant, sender, account_id) if customer and sender else None
    _emit_message(tenant, payload, account_id, partner.pk if partner else None)
    conversation = payload.get("conversation") or {}
    if not customer:
        if bot_hook.is_agent_reply(payload):
            bot_hook.dispatch_activity(bot_hook.ConversationActivity(
                bot_hook.AGENT_MESSAGE, tenant.pk, account_id, int(conversation["id"]),
                payload))
        return
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


def on_conversation_updated(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """To the bot hooks (e.g. Kokó reads a feedback custom attribute)."""
    tenant = _tenant(delivery)
    bot_hook.dispatch_activity(bot_hook.ConversationActivity(
        bot_hook.CONVERSATION_UPDATED, tenant.pk, _account_id(payload), int(payload["id"]),
        payload))


def on_message_updated(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    """To the bot hooks (e.g. Kokó reads a CSAT answer)."""
    tenant = _tenant(delivery)
    conversation = payload.get("conversation") or {}
    bot_hook.dispatch_activity(bot_hook.ConversationActivity(
        bot_hook.MESSAGE_UPDATED, tenant.pk, _account_id(payload), int(conversation["id"]),
        payload))


__all__ = (
    "on_contact_changed",
    "on_conversation_created",
    "on_conversation_status_changed",
    "on_conversation_updated",
    "on_message_created",
    "on_message_updated",
)
