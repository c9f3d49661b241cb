"""The events the GLPI mirror consumes and emits, and the shapes of their payloads.

GLPI 10 sends no webhooks, so the connector has no inbound events of its own: GLPI's
changes are read by the poll (``poll.py``). It consumes the Chatwoot connector's emitted
events (``apps.support_plugin.chatwoot.event_types``) and emits none.
"""

from __future__ import annotations

from typing import TypedDict

from apps.support_plugin.chatwoot.event_types import (
    CONVERSATION_OBJECT_TYPE,
    CONVERSATION_OPENED,
    CONVERSATION_STATUS,
    MESSAGE_POSTED,
)

EMITTED: tuple[str, ...] = ()
CONSUMED: tuple[str, ...] = (CONVERSATION_OPENED, MESSAGE_POSTED, CONVERSATION_STATUS)


class ContactInfo(TypedDict, total=False):
    id: int | None
    name: str
    email: str | None
    phone_number: str | None
    identifier: str | None


class FirstMessage(TypedDict):
    id: int
    content: str


class ConversationPayload(TypedDict, total=False):
    account_id: int
    conversation_id: int
    contact_id: int | None
    worklog_id: int | None
    partner_id: int | None
    inbox_id: int | None
    status: str
    labels: list[str]
    priority: str | None
    first_message: FirstMessage | None
    contact: ContactInfo
    intent: str | None  # Kokó's classification, once Kokó exists (classification.py)


class MessagePayload(TypedDict, total=False):
    account_id: int
    conversation_id: int
    message_id: int
    content: str
    private: bool
    sender_type: str  # "contact" | "agent" | "bot"
    source_id: str | None
    opened_by_us: bool
    partner_id: int | None
    contact: ContactInfo
    labels: list[str]
    priority: str | None
    status: str


class StatusPayload(TypedDict, total=False):
    account_id: int
    conversation_id: int
    status: str
    previous_status: str


__all__ = (
    "CONSUMED",
    "CONVERSATION_OBJECT_TYPE",
    "EMITTED",
    "ContactInfo",
    "ConversationPayload",
    "FirstMessage",
    "MessagePayload",
    "StatusPayload",
)
