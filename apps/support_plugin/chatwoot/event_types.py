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
MESSAGE_CREATED = "message_created"

# Emitted into the outbox (us -> other subscribers). Object type "chatwoot.conversation",
# object id the conversation's display id; payload {"account_id", "contact_id",
# "worklog_id", "partner_id", "labels"}.
CONVERSATION_OPENED = "chatwoot.conversation_created"
CONVERSATION_OBJECT_TYPE = "chatwoot.conversation"

EMITTED: tuple[str, ...] = (CONVERSATION_OPENED,)

__all__ = (
    "CONTACT_CREATED",
    "CONTACT_UPDATED",
    "CONVERSATION_CREATED",
    "CONVERSATION_OBJECT_TYPE",
    "CONVERSATION_OPENED",
    "CONVERSATION_STATUS_CHANGED",
    "EMITTED",
    "MESSAGE_CREATED",
)
