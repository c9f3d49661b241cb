"""Outbound webhook payloads (NOTES §10.3), key for key like contracts/chatwoot/webhooks/*.json.

These differ from the REST shapes on purpose: message_type is a string, times are ISO in
several places, contacts carry ``account``/``avatar`` and no ``type``. Callers hold
``store.lock``.
"""

from __future__ import annotations

from typing import Any

from . import serializers
from .models import MESSAGE_TYPE_NAMES, Contact, Conversation, Message
from .state import Store
from .timestamps import iso, unix

JSON = dict[str, Any]
ChangedAttributes = list[dict[str, dict[str, Any]]]


def account_data(store: Store, account_id: int) -> JSON:
    account = store.accounts[account_id]
    return {"id": account.id, "name": account.name}


def contact_data(store: Store, record: Contact) -> JSON:
    """Contact#webhook_data."""
    return {
        "account": account_data(store, record.account_id),
        "additional_attributes": record.additional_attributes,
        "avatar": "",
        "custom_attributes": record.custom_attributes,
        "email": record.email,
        "id": record.id,
        "identifier": record.identifier,
        "name": record.name,
        "phone_number": record.phone_number,
        "thumbnail": "",
        "blocked": record.blocked,
    }


def conversation_data(store: Store, record: Conversation) -> JSON:
    """Conversations::EventDataPresenter#webhook_data."""
    contact_inbox = store.contact_inboxes[record.contact_inbox_id]
    sendable = [m for m in store.messages_of(record.id) if m.message_type != 2 and not m.private]
    assignee = store.users.get(record.assignee_id) if record.assignee_id else None
    return {
        "additional_attributes": record.additional_attributes,
        "can_reply": True,
        "channel": store.inboxes[record.inbox_id].channel_type,
        "contact_inbox": {
            "id": contact_inbox.id,
            "contact_id": contact_inbox.contact_id,
            "inbox_id": contact_inbox.inbox_id,
            "source_id": contact_inbox.source_id,
            "created_at": iso(contact_inbox.created_at),
            "updated_at": iso(contact_inbox.updated_at),
            "hmac_verified": contact_inbox.hmac_verified,
            "pubsub_token": contact_inbox.pubsub_token,
        },
        "id": record.display_id,
        "inbox_id": record.inbox_id,
        "messages": [serializers.message_push_event(store, sendable[-1])] if sendable else [],
        "labels": record.labels,
        "meta": {
            "sender": serializers.contact_push_event(store.contacts[record.contact_id]),
            "assignee": serializers.user_push_event(assignee) if assignee else None,
            "assignee_type": "User" if assignee else None,
            "team": serializers.team_push_event(store.teams[record.team_id])
            if record.team_id in store.teams
            else None,
            "hmac_verified": contact_inbox.hmac_verified,
        },
        "status": record.status,
        "custom_attributes": record.custom_attributes,
        "snoozed_until": iso(record.snoozed_until),
        "unread_count": serializers.unread_count(store, record),
        "first_reply_created_at": iso(record.first_reply_created_at),
        "priority": record.priority,
        "waiting_since": unix(record.waiting_since),
        "agent_last_seen_at": unix(record.agent_last_seen_at),
        "contact_last_seen_at": unix(record.contact_last_seen_at),
        "last_activity_at": unix(record.last_activity_at),
        "timestamp": unix(record.last_activity_at),
        "created_at": unix(record.created_at),
        "updated_at": record.updated_at,
        "account": account_data(store, record.account_id),
    }


def _message_sender(store: Store, record: Message) -> JSON | None:
    """Contact → Contact#webhook_data (no ``type``); user → User#webhook_data."""
    if record.sender_type == "Contact" and record.sender_id in store.contacts:
        return contact_data(store, store.contacts[record.sender_id])
    if record.sender_type == "User" and record.sender_id in store.users:
        sender = store.users[record.sender_id]
        return {"id": sender.id, "name": sender.name, "email": sender.email, "type": "user"}
    return None


def message_data(store: Store, record: Message) -> JSON:
    """Message#webhook_data."""
    inbox = store.inboxes[record.inbox_id]
    return {
        "account": account_data(store, record.account_id),
        "additional_attributes": record.additional_attributes,
        "content_attributes": record.content_attributes,
        "content_type": record.content_type,
        "content": record.content,
        "conversation": conversation_data(store, store.conversations[record.conversation_id]),
        "created_at": iso(record.created_at),
        "id": record.id,
        "inbox": {"id": inbox.id, "name": inbox.name},
        "message_type": MESSAGE_TYPE_NAMES[record.message_type],
        "private": record.private,
        "sender": _message_sender(store, record),
        "source_id": record.source_id,
        # Only present when the message has attachments (NOTES §10.3).
        **({"attachments": list(record.attachments)} if record.attachments else {}),
    }


def with_event(
    data: JSON,
    event: str,
    changed: ChangedAttributes | None = None,
    *,
    include_changed: bool = False,
) -> JSON:
    """Append ``event`` (and ``changed_attributes`` where the event carries it)."""
    payload = dict(data)
    payload["event"] = event
    if include_changed:
        payload["changed_attributes"] = changed
    return payload


def changes(previous: JSON, current: JSON) -> ChangedAttributes:
    """``previous_changes`` as Chatwoot serialises it: one single-key object per changed
    column (values already JSON-encoded by the caller: enums as strings, times ISO)."""
    return [
        {key: {"previous_value": previous.get(key), "current_value": value}}
        for key, value in current.items()
        if previous.get(key) != value
    ]


def updated_at_change(before: float, after: float) -> dict[str, dict[str, Any]]:
    return {"updated_at": {"previous_value": iso(before), "current_value": iso(after)}}
