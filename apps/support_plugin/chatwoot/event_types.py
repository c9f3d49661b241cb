"""The Chatwoot connector's event names: what Chatwoot sends us, and what we emit.

Inbound names are Chatwoot's own webhook ``event`` values (NOTES.md §10). Emitted events
go into the outbox for other connectors (GLPI, the CRM) to subscribe to; the plugin
manifest lists them in ``emits`` so the registry accepts those subscriptions.
"""

from __future__ import annotations

# Inbound (Chatwoot -> us)
CONTACT_CREATED = "contact_created"
CONTACT_UPDATED = "contact_updated"
CONVERSATION_CREATED = "conversation_created"
CONVERSATION_STATUS_CHANGED = "conversation_status_changed"
CONVERSATION_UPDATED = "conversation_updated"
MESSAGE_CREATED = "message_created"
MESSAGE_UPDATED = "message_updated"

# Emitted into the outbox (us -> other subscribers), all on the object type
# "chatwoot.conversation" with object id "<account id>:<display id>", so one subscriber's
# deliveries of one conversation run in order (created, then its messages, then status).
# conversation_created: every customer conversation; payload {"account_id",
#   "conversation_id", "contact_id", "worklog_id", "partner_id" (both may be null),
#   "inbox_id", "status", "labels", "priority", "first_message" {"id", "content"} | null,
#   "contact" {"name", "email", "phone_number", "identifier"}}.
# message_created: every message Chatwoot sends a webhook for; payload {"account_id",
#   "conversation_id", "message_id", "content", "private", "sender_type" (contact | agent |
#   bot), "source_id", "opened_by_us", "partner_id", "contact"}.
# conversation_status_changed: payload {"account_id", "conversation_id", "status",
#   "previous_status"}.
CONVERSATION_OPENED = "chatwoot.conversation_created"
MESSAGE_POSTED = "chatwoot.message_created"
CONVERSATION_STATUS = "chatwoot.conversation_status_changed"
CONVERSATION_OBJECT_TYPE = "chatwoot.conversation"

EMITTED: tuple[str, ...] = (CONVERSATION_OPENED, MESSAGE_POSTED, CONVERSATION_STATUS)


def conversation_object_id(account_id: int, conversation_id: int) -> str:
    """The emitted events' object id: display ids are only unique per account."""
    return f"{int(account_id)}:{int(conversation_id)}"

__all__ = (
    "CONTACT_CREATED",
    "CONTACT_UPDATED",
    "CONVERSATION_CREATED",
    "CONVERSATION_OBJECT_TYPE",
    "CONVERSATION_OPENED",
    "CONVERSATION_STATUS",
    "CONVERSATION_STATUS_CHANGED",
    "CONVERSATION_UPDATED",
    "EMITTED",
    "MESSAGE_CREATED",
    "MESSAGE_POSTED",
    "MESSAGE_UPDATED",
    "conversation_object_id",
)
