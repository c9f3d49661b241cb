"""The boundary between domain operations and webhook delivery.

Operations append ``OutgoingEvent``s while they hold the store lock; the WSGI app hands the
list to the dispatcher only after the request succeeded, the way Chatwoot dispatches from
``after_commit`` callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Events that also go to an API inbox's own webhook_url (NOTES §10.1 #2).
INBOX_SCOPED_EVENTS = frozenset(
    {
        "conversation_created",
        "conversation_updated",
        "conversation_status_changed",
        "message_created",
        "message_updated",
        "conversation_typing_on",
        "conversation_typing_off",
    }
)


@dataclass(frozen=True)
class OutgoingEvent:
    account_id: int
    event: str
    payload: dict[str, Any]
    inbox_id: int | None = None
    message_id: int | None = None  # API-inbox delivery failures mark this message failed


EventLog = list[OutgoingEvent]
