"""The event-bus subscribers of the GLPI mirror (named in the manifest's subscriptions).

Each one reads its event's payload (the Chatwoot conversation is a remote object: the
payload is its state at that moment; ERP rows such as the partner are re-read), calls a
use case, and lets typed errors propagate for the bus to retry or fail. A failure is also
written on the conversation's ticket row, for the admin.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.tenants.models import Tenant

from .client import GlpiClient
from .config import GlpiSettings, settings_for
from .event_types import ConversationPayload, MessagePayload, StatusPayload
from .followup_sync import mirror_message
from .models import GlpiTicketLink
from .ticket_sync import TicketSource, ensure_ticket, follow_status

log = logging.getLogger("support_plugin.glpi.outbound")

# source_id prefix of the messages the poll posts into Chatwoot (poll.py): they come back
# as message_created webhooks and must not become followups again.
OWN_SOURCE_PREFIX = "kgc:glpi:"


def _setup(context: DeliveryContext) -> tuple[GlpiSettings, GlpiClient]:
    settings = settings_for(context.tenant, context.settings)
    return settings, settings.client(context.tenant.pk)


@contextmanager
def _error_on_link(tenant: Tenant, account_id: int, conversation_id: int) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        GlpiTicketLink.objects.filter(
            tenant=tenant, account_id=account_id, conversation_id=conversation_id
        ).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise


def conversation_created(context: DeliveryContext) -> None:
    """A customer conversation -> its GLPI ticket."""
    payload = cast(ConversationPayload, dict(context.payload))
    account_id, conversation_id = int(payload["account_id"]), int(payload["conversation_id"])
    first = payload.get("first_message")
    settings, client = _setup(context)
    source = TicketSource(
        account_id=account_id, conversation_id=conversation_id,
        first_message_id=int(first["id"]) if first else None,
        first_message=str(first["content"]) if first else "",
        partner_id=payload.get("partner_id"), worklog_id=payload.get("worklog_id"),
        status=str(payload.get("status") or ""),
        contact=payload.get("contact") or {}, conversation=payload,
    )
    with _error_on_link(context.tenant, account_id, conversation_id):
        ensure_ticket(client, settings, context.tenant, source)


def _wanted(payload: MessagePayload, settings: GlpiSettings) -> bool:
    if str(payload.get("source_id") or "").startswith(OWN_SOURCE_PREFIX):
        return False  # our own copy of a GLPI followup: never echoed back
    if payload.get("sender_type") == "bot" and not settings.mirror_bot_messages:
        return False
    return bool(str(payload.get("content") or "").strip())


def message_created(context: DeliveryContext) -> None:
    """A message -> a followup: public for customer and agent messages, private for
    private notes; bot messages only when the settings say so."""
    payload = cast(MessagePayload, dict(context.payload))
    settings, client = _setup(context)
    if not _wanted(payload, settings):
        return
    account_id, conversation_id = int(payload["account_id"]), int(payload["conversation_id"])
    message_id, content = int(payload["message_id"]), str(payload.get("content") or "")
    link = GlpiTicketLink.objects.filter(tenant=context.tenant, account_id=account_id,
                                         conversation_id=conversation_id).first()
    with _error_on_link(context.tenant, account_id, conversation_id):
        if link is None or link.ticket_id is None:
            customer_writes = (payload.get("sender_type") == "contact"
                               and not payload.get("private"))
            if link is None and (not customer_writes or payload.get("opened_by_us")):
                log.info("glpi.message.no-ticket conversation=%s:%s message=%s", account_id,
                         conversation_id, message_id)
                return  # not a customer request (a notification thread, an agent's note)
            link = ensure_ticket(client, settings, context.tenant, TicketSource(
                account_id=account_id, conversation_id=conversation_id,
                first_message_id=message_id if customer_writes else None,
                first_message=content, partner_id=payload.get("partner_id"),
                status=str(payload.get("status") or ""),
                contact=payload.get("contact") or {},
                conversation=cast(ConversationPayload, {
                    "labels": payload.get("labels") or [], "priority": payload.get("priority")}),
            ))
        mirror_message(client, link, message_id=message_id, content=content,
                       sender_type=str(payload.get("sender_type") or ""),
                       private=bool(payload.get("private")))


def conversation_status_changed(context: DeliveryContext) -> None:
    """Resolved -> ticket solved; reopened -> back to processing."""
    payload = cast(StatusPayload, dict(context.payload))
    account_id, conversation_id = int(payload["account_id"]), int(payload["conversation_id"])
    link = GlpiTicketLink.objects.filter(tenant=context.tenant, account_id=account_id,
                                         conversation_id=conversation_id).first()
    if link is None or link.ticket_id is None:
        return  # no ticket mirrors this conversation
    _, client = _setup(context)
    with _error_on_link(context.tenant, account_id, conversation_id):
        follow_status(client, link, str(payload.get("status") or ""))


__all__ = ("OWN_SOURCE_PREFIX", "conversation_created", "conversation_status_changed",
           "message_created")
