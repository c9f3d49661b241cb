"""Which Chatwoot conversation a message for a customer goes into, and posting it once.

Order (issue 5): the conversation linked to the worklog, else the contact's latest open
one, else a new conversation in the configured notification inbox. Every message we post
carries our own ``source_id`` (Chatwoot keeps it, NOTES §7), and a conversation we open
carries it as a custom attribute, so a retry after a lost response finds what the first
attempt created instead of posting twice.
"""

from __future__ import annotations

import logging
from typing import Any

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError
from kgc_erp.service.models import Worklog

from .client import ChatwootClient
from .models import ConversationLink

log = logging.getLogger("support_plugin.chatwoot.conversations")

OPEN_STATUSES = ("open", "pending")
KEY_ATTRIBUTE = "kgc_key"


def conversation_link(worklog: Worklog | None, account_id: int) -> ConversationLink | None:
    """The conversation of this Chatwoot account a worklog came from, if any."""
    if worklog is None:
        return None
    return ConversationLink.objects.filter(worklog=worklog, account_id=account_id).first()


def resolve_conversation(client: ChatwootClient, *, contact_id: int, inbox_id: int | None,
                         key: str, worklog: Worklog | None = None) -> int:
    """The display id of the conversation to write into (opened if needed)."""
    link = conversation_link(worklog, client.connection.account_id)
    if link is not None:
        return link.conversation_id
    conversations = client.contact_conversations(contact_id)
    for conversation in conversations:
        if (conversation.get("custom_attributes") or {}).get(KEY_ATTRIBUTE) == key:
            return int(conversation["id"])  # opened by an earlier attempt of this event
    open_ones = [c for c in conversations if c.get("status") in OPEN_STATUSES]
    if open_ones:
        latest = max(open_ones, key=lambda c: (c.get("last_activity_at") or 0, c["id"]))
        return int(latest["id"])
    if not inbox_id:
        raise PermanentDeliveryError(
            "no open conversation and no notification inbox (chatwoot_inbox_id) configured"
        )
    created = client.create_conversation(inbox_id=inbox_id, contact_id=contact_id,
                                         custom_attributes={KEY_ATTRIBUTE: key})
    log.info("chatwoot.conversation.opened conversation=%s contact=%s", created["id"], contact_id)
    return int(created["id"])


def find_message(client: ChatwootClient, display_id: int, source_id: str) -> dict[str, Any] | None:
    for message in client.list_messages(display_id):
        if message.get("source_id") == source_id:
            return message
    return None


def post_once(client: ChatwootClient, display_id: int, content: str, *, source_id: str,
              private: bool = False, check_existing: bool = True) -> dict[str, Any]:
    """Post a message unless one with ``source_id`` is already there."""
    if check_existing:
        existing = find_message(client, display_id, source_id)
        if existing is not None:
            return existing
    return client.create_message(display_id, content, private=private, source_id=source_id)


__all__ = ("conversation_link", "find_message", "post_once", "resolve_conversation")
