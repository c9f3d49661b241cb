"""Where customer messages from Chatwoot go for an automatic answer.

The AI agent ("Kokó") is a later issue. This module is its seam: it receives a typed
``IncomingMessage`` for every incoming, public customer message (NOTES §13: never the
agents' replies, private notes or a bot's own messages) and decides itself whether and
how to answer. Until one is registered the default hook only logs.

    from apps.support_plugin.chatwoot.bot_hook import register_bot_hook
    register_bot_hook(KokoAgent())      # e.g. in the koko app's AppConfig.ready()
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger("support_plugin.chatwoot.bot_hook")


@dataclass(frozen=True)
class IncomingMessage:
    tenant_id: int
    account_id: int
    conversation_id: int  # display id: what replies are posted to
    message_id: int
    content: str
    conversation_status: str  # "pending" while a bot owns the conversation
    contact_id: int | None
    partner_id: int | None  # the ERP partner behind the contact, if known
    inbox_id: int | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class ConversationActivity:
    """Something else happened in a conversation that a bot may care about: an agent's
    public reply (``agent_message``: the bot should stop answering), a conversation update
    (``conversation_updated``: e.g. a feedback custom attribute) or a message update
    (``message_updated``: e.g. a CSAT answer). ``payload`` is the webhook body."""

    kind: str
    tenant_id: int
    account_id: int
    conversation_id: int
    payload: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


AGENT_MESSAGE = "agent_message"
CONVERSATION_UPDATED = "conversation_updated"
MESSAGE_UPDATED = "message_updated"


@runtime_checkable
class BotHook(Protocol):
    def on_message(self, message: IncomingMessage) -> None:
        """Handle one customer message. May raise: the inbox retries the delivery."""


class LoggingBotHook:
    """The default: no automatic answer (``dispatch`` leaves the trace of every message)."""

    def on_message(self, message: IncomingMessage) -> None:
        return None


_lock = threading.Lock()
_hooks: list[BotHook] = []
_default = LoggingBotHook()


def register_bot_hook(hook: BotHook) -> None:
    if not isinstance(hook, BotHook):
        raise TypeError(f"{hook!r} does not implement on_message(message)")
    with _lock:
        if hook not in _hooks:
            _hooks.append(hook)


def unregister_bot_hook(hook: BotHook) -> None:
    with _lock:
        if hook in _hooks:
            _hooks.remove(hook)


def registered_hooks() -> tuple[BotHook, ...]:
    with _lock:
        return tuple(_hooks) or (_default,)


def dispatch(message: IncomingMessage) -> None:
    log.info("chatwoot.bot.message tenant=%s conversation=%s message=%s partner=%s",
             message.tenant_id, message.conversation_id, message.message_id,
             message.partner_id)
    for hook in registered_hooks():
        hook.on_message(message)


def dispatch_activity(activity: ConversationActivity) -> None:
    """To every hook that has ``on_activity`` (optional: older hooks only answer)."""
    for hook in registered_hooks():
        handler = getattr(hook, "on_activity", None)
        if handler is not None:
            handler(activity)


# Prefixes of the source_id of messages the ERP itself posts (notifications, Kokó): an
# outgoing message carrying one is not a colleague's reply.
OWN_SOURCE_PREFIXES = ("kgc:", "koko:")


def is_agent_reply(payload: dict[str, Any]) -> bool:
    """A colleague's public reply: outgoing, not private, sent by a user, and not one of
    our own messages posted through the API (those carry our source_id)."""
    sender = payload.get("sender") or {}
    source_id = str(payload.get("source_id") or "")
    return (payload.get("message_type") == "outgoing" and not payload.get("private")
            and sender.get("type") == "user"
            and not source_id.startswith(OWN_SOURCE_PREFIXES))


def is_customer_message(payload: dict[str, Any]) -> bool:
    """Incoming and public, from a contact (NOTES §10.3: message_type is a string here)."""
    sender = payload.get("sender") or {}
    return (payload.get("message_type") == "incoming" and not payload.get("private")
            and sender.get("type") in (None, "contact"))


__all__ = (
    "AGENT_MESSAGE",
    "CONVERSATION_UPDATED",
    "MESSAGE_UPDATED",
    "OWN_SOURCE_PREFIXES",
    "BotHook",
    "ConversationActivity",
    "IncomingMessage",
    "LoggingBotHook",
    "dispatch",
    "dispatch_activity",
    "is_agent_reply",
    "is_customer_message",
    "register_bot_hook",
    "registered_hooks",
    "unregister_bot_hook",
)
