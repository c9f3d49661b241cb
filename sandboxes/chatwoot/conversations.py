"""Conversation and message use cases with the side effects Chatwoot's callbacks have
(NOTES §6, §7, §10.3). Callers hold ``store.lock``.

Event order per operation mirrors the model callbacks: status changes first
(``conversation_status_changed`` then ``conversation_updated``), then ``message_created``,
then the conversation's waiting/first-reply update, then the contact's activity bump.
"""

from __future__ import annotations

import json
import time
from typing import Any

from . import contacts, errors, payloads
from .context import as_bool, as_text
from .events import EventLog, OutgoingEvent
from .models import (
    API_CHANNEL,
    CONTENT_TYPES,
    CONVERSATION_STATUSES,
    MESSAGE_TYPES,
    PRIORITIES,
    Contact,
    ContactInbox,
    Conversation,
    Inbox,
    Message,
    User,
)
from .state import Store
from .timestamps import iso, now
from .tokens import new_uuid

MESSAGES_PER_MINUTE = 200  # CONVERSATION_MESSAGE_PER_MINUTE_LIMIT
MAX_CONTENT = 150_000
SENDABLE_MESSAGE_TYPES = (0, 1, 3)  # incoming, outgoing, template: never activity


def _emit(
    store: Store,
    events: EventLog,
    conversation: Conversation,
    event: str,
    changed: payloads.ChangedAttributes | None = None,
    *,
    include_changed: bool = False,
) -> None:
    payload = payloads.with_event(
        payloads.conversation_data(store, conversation),
        event,
        changed,
        include_changed=include_changed,
    )
    events.append(
        OutgoingEvent(conversation.account_id, event, payload, inbox_id=conversation.inbox_id)
    )


def _emit_updated(
    store: Store,
    events: EventLog,
    conversation: Conversation,
    before: dict[str, Any],
    previous_update: float,
) -> None:
    """``conversation_updated`` with the changed tracked columns (+ updated_at)."""
    after = _tracked(conversation)
    changed = payloads.changes(before, after)
    if changed:
        changed.append(payloads.updated_at_change(previous_update, conversation.updated_at))
        _emit(store, events, conversation, "conversation_updated", changed, include_changed=True)


def _tracked(conversation: Conversation) -> dict[str, Any]:
    """Columns whose change fires conversation_updated, JSON-encoded as in the payload."""
    return {
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id,
        "priority": conversation.priority,
        "snoozed_until": iso(conversation.snoozed_until),
        "waiting_since": iso(conversation.waiting_since),
        "first_reply_created_at": iso(conversation.first_reply_created_at),
        "custom_attributes": dict(conversation.custom_attributes),
    }


def _invalid_enum() -> errors.ApiError:
    """Assigning an unknown enum value raises ArgumentError; outside the message
    controller nothing rescues it, so Rails answers 500 (NOTES §3)."""
    return errors.internal_error()


# -- conversations ---------------------------------------------------------------------------


def create_conversation(
    store: Store,
    events: EventLog,
    *,
    inbox: Inbox,
    contact: Contact,
    contact_inbox: ContactInbox,
    params: dict[str, Any],
    actor: User | None,
    initial_message: dict[str, Any] | None = None,
    initial_incoming: bool = False,
) -> Conversation:
    """ConversationBuilder + the optional first message of ``POST /conversations``.

    ``actor`` is the token owner (outgoing first message); ``initial_incoming`` makes the
    first message come from the contact instead (a customer writing in).
    """
    status = params.get("status")
    if status not in (None, "") and status not in CONVERSATION_STATUSES:
        raise _invalid_enum()
    if inbox.lock_to_single_conversation:
        existing = [
            c for c in store.conversations.values() if c.contact_inbox_id == contact_inbox.id
        ]
        if existing:
            return max(existing, key=lambda c: c.id)
    stamp = now()
    assignee = as_text(params.get("assignee_id"))
    assignee_id = int(assignee) if assignee and assignee.isdigit() else None
    if assignee_id is not None and store.account_user(inbox.account_id, assignee_id) is None:
        assignee_id = None
    conversation = Conversation(
        id=store.next_id("conversation"),
        display_id=store.next_display_id(inbox.account_id),
        account_id=inbox.account_id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        contact_inbox_id=contact_inbox.id,
        uuid=new_uuid(),
        created_at=stamp,
        updated_at=stamp,
        last_activity_at=stamp,
        status="resolved" if contact.blocked else (status or "open"),
        assignee_id=assignee_id,
        waiting_since=stamp,  # ensure_waiting_since on create
        additional_attributes=_hash(params.get("additional_attributes")),
        custom_attributes=_hash(params.get("custom_attributes")),
    )
    store.conversations[conversation.id] = conversation
    created_events: EventLog = []
    if initial_message is not None:
        if initial_incoming:
            add_message(
                store,
                created_events,
                conversation,
                {**initial_message, "message_type": "incoming"},
                sender_user=None,
            )
        else:
            add_message(store, created_events, conversation, initial_message, sender_user=actor)
    # The payload is built after the first message exists (Chatwoot builds it in the
    # dispatcher job), and conversation_created precedes the message's own events.
    _emit(store, events, conversation, "conversation_created")
    events.extend(created_events)
    return conversation


def _hash(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def toggle_status(
    store: Store,
    events: EventLog,
    conversation: Conversation,
    status: Any,
    snoozed_until: Any,
    actor: User | None,
    actor_is_agent: bool,
) -> None:
    """``toggle_status``: explicit status, or open↔resolved when none is given."""
    if status in (None, ""):
        target = "resolved" if conversation.status == "open" else "open"
    elif status in CONVERSATION_STATUSES:
        target = str(status)
    else:
        raise _invalid_enum()
    snooze_at: float | None = None
    if target == "snoozed" and snoozed_until not in (None, ""):
        # DateTime.strptime(value, "%s"): anything but Unix seconds is a 500.
        text = str(snoozed_until)
        if not text.isdigit():
            raise errors.internal_error()
        snooze_at = float(text)
    before, previous_update = _tracked(conversation), conversation.updated_at
    previous_status = conversation.status
    conversation.status = target
    conversation.snoozed_until = snooze_at if target == "snoozed" else None
    if (
        target == "open"
        and actor is not None
        and actor_is_agent
        and conversation.assignee_id is None
    ):
        conversation.assignee_id = actor.id  # an agent opening a conversation takes it
    if _tracked(conversation) == before:
        return
    conversation.updated_at = now()
    if previous_status != target:
        # changed_attributes is null in practice for this event (NOTES §10.3).
        _emit(
            store, events, conversation, "conversation_status_changed", None, include_changed=True
        )
    _emit_updated(store, events, conversation, before, previous_update)


def set_priority(store: Store, events: EventLog, conversation: Conversation, priority: Any) -> None:
    """``toggle_priority``: null/"" clears; anything outside the enum is a 500."""
    value = priority or None
    if value is not None and value not in PRIORITIES:
        raise _invalid_enum()
    before, previous_update = _tracked(conversation), conversation.updated_at
    conversation.priority = value
    if _tracked(conversation) != before:
        conversation.updated_at = now()
        _emit_updated(store, events, conversation, before, previous_update)


def replace_custom_attributes(
    store: Store, events: EventLog, conversation: Conversation, attributes: dict[str, Any]
) -> None:
    before, previous_update = _tracked(conversation), conversation.updated_at
    conversation.custom_attributes = dict(attributes)
    if _tracked(conversation) != before:
        conversation.updated_at = now()
        _emit_updated(store, events, conversation, before, previous_update)


def assign(
    store: Store, events: EventLog, conversation: Conversation, assignee_id: int | None
) -> User | None:
    """Assign an account member; an unknown id silently unassigns (NOTES §6)."""
    user = store.users.get(assignee_id) if assignee_id is not None else None
    if user is not None and store.account_user(conversation.account_id, user.id) is None:
        user = None
    before, previous_update = _tracked(conversation), conversation.updated_at
    conversation.assignee_id = user.id if user else None
    if user is not None and conversation.status == "pending":
        conversation.status = "open"
    if _tracked(conversation) != before:
        conversation.updated_at = now()
        if before["status"] != conversation.status:
            _emit(
                store,
                events,
                conversation,
                "conversation_status_changed",
                None,
                include_changed=True,
            )
        _emit_updated(store, events, conversation, before, previous_update)
    return user


def assign_team(
    store: Store, events: EventLog, conversation: Conversation, team_id: int | None
) -> None:
    """``{"team_id": n}``: a team of the account (the caller checked it exists); ``None``
    unassigns. Assigning only a team never changes the status (NOTES §13)."""
    before, previous_update = _tracked(conversation), conversation.updated_at
    conversation.team_id = team_id
    if _tracked(conversation) != before:
        conversation.updated_at = now()
        _emit_updated(store, events, conversation, before, previous_update)


# -- messages --------------------------------------------------------------------------------


def _message_error(message: str) -> errors.ApiError:
    """MessagesController#create rescues every error into ``{"error": e.message}``."""
    return errors.unprocessable(message)


def add_message(
    store: Store,
    events: EventLog,
    conversation: Conversation,
    params: dict[str, Any],
    *,
    sender_user: User | None,
) -> Message:
    """Messages::MessageBuilder + Message callbacks.

    Outgoing/template/activity messages are sent by ``sender_user`` (the token owner);
    incoming messages (API inboxes only) are sent by the conversation's contact.
    """
    inbox = store.inboxes[conversation.inbox_id]
    type_name = as_text(params.get("message_type")) or "outgoing"
    if type_name not in MESSAGE_TYPES:
        raise _message_error(f"'{type_name}' is not a valid message_type")
    if type_name == "incoming" and inbox.channel_type != API_CHANNEL:
        raise _message_error("Incoming messages are only allowed in Api inboxes")
    content_type = as_text(params.get("content_type")) or "text"
    if content_type not in CONTENT_TYPES:
        raise _message_error(f"'{content_type}' is not a valid content_type")
    content = as_text(params.get("content"))
    if content is not None and len(content) > MAX_CONTENT:
        raise _message_error(
            f"Validation failed: Content is too long (maximum is {MAX_CONTENT} characters)"
        )
    minute_ago = time.time() - 60
    recent = sum(1 for m in store.messages_of(conversation.id) if m.created_at >= minute_ago)
    if recent >= MESSAGES_PER_MINUTE:
        raise _message_error("Validation failed: Too many messages")
    content_attributes = params.get("content_attributes")
    if isinstance(content_attributes, str):
        try:
            content_attributes = json.loads(content_attributes)
        except ValueError as exc:
            raise _message_error(f"unexpected token at '{content_attributes}'") from exc
    incoming = type_name == "incoming"
    stamp = now()
    message = Message(
        id=store.next_id("message"),
        account_id=conversation.account_id,
        inbox_id=conversation.inbox_id,
        conversation_id=conversation.id,
        message_type=MESSAGE_TYPES[type_name],
        created_at=stamp,
        updated_at=stamp,
        content=content,
        content_type=content_type,
        content_attributes=_hash(content_attributes),
        private=as_bool(params.get("private", False)),
        source_id=as_text(params.get("source_id")),
        echo_id=as_text(params.get("echo_id")),
        sender_type="Contact" if incoming else ("User" if sender_user else None),
        sender_id=conversation.contact_id
        if incoming
        else (sender_user.id if sender_user else None),
    )
    store.messages[message.id] = message
    _apply_message_effects(store, events, conversation, message)
    return message


def _apply_message_effects(
    store: Store, events: EventLog, conversation: Conversation, message: Message
) -> None:
    before, previous_update = _tracked(conversation), conversation.updated_at
    conversation.last_activity_at = message.created_at  # update_columns: no event
    incoming = message.message_type == 0
    human_reply = (
        message.message_type == 1 and not message.private and message.sender_type == "User"
    )
    reopened = False
    if incoming:
        if conversation.status in ("resolved", "snoozed"):
            conversation.status = "open"
            conversation.snoozed_until = None
            reopened = True
        if conversation.waiting_since is None:
            conversation.waiting_since = message.created_at
    elif human_reply:
        if conversation.first_reply_created_at is None:
            conversation.first_reply_created_at = message.created_at
        conversation.waiting_since = None
    changed = _tracked(conversation) != before
    if changed:
        conversation.updated_at = now()
    if reopened:
        _emit(
            store, events, conversation, "conversation_status_changed", None, include_changed=True
        )
    if message.message_type in SENDABLE_MESSAGE_TYPES:
        payload = payloads.with_event(payloads.message_data(store, message), "message_created")
        events.append(
            OutgoingEvent(
                conversation.account_id,
                "message_created",
                payload,
                inbox_id=conversation.inbox_id,
                message_id=message.id,
            )
        )
    if changed:
        _emit_updated(store, events, conversation, before, previous_update)
    if incoming:
        contacts.touch_activity(
            store, events, store.contacts[conversation.contact_id], message.created_at
        )


def list_messages(
    store: Store, conversation: Conversation, before: Any, after: Any
) -> list[Message]:
    """Cursor pagination by message id: latest 20; ``before`` → 20 older; ``after`` → up
    to 100 newer; both → up to 1000 in between."""
    messages = store.messages_of(conversation.id)
    before_id = int(before) if str(before or "").isdigit() else None
    after_id = int(after) if str(after or "").isdigit() else None
    if before_id is not None and after_id is not None:
        return [m for m in messages if after_id < m.id < before_id][:1000]
    if after_id is not None:
        return [m for m in messages if m.id > after_id][:100]
    if before_id is not None:
        return [m for m in messages if m.id < before_id][-20:]
    return messages[-20:]
