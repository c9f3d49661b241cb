"""Sandbox-only control endpoints under ``/_sandbox/`` (not part of Chatwoot).

No authentication: the sandbox binds to 127.0.0.1 only. Errors in the control API itself
are ``400 {"error": ...}``; domain errors raised by simulations keep Chatwoot's shapes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import Any

from . import contacts, conversations, errors, serializers
from .context import Ctx, Reply, as_int, as_text
from .faults import parse_fault
from .models import API_CHANNEL, Contact, Conversation, Inbox
from .timestamps import now
from .tokens import secure_token


def _bad_request(message: str) -> errors.ApiError:
    return errors.ApiError(400, {"error": message})


def health(ctx: Ctx) -> Reply:
    return 200, {"ok": True}


def reset(ctx: Ctx) -> Reply:
    """Back to the seed: data, request log, deliveries, and no active fault."""
    ctx.runtime.dispatcher.drop_pending()
    ctx.runtime.faults.clear()
    ctx.store.reset()
    return 200, {"ok": True}


def state(ctx: Ctx) -> Reply:
    data = ctx.store.dump()
    data["requests"] = [asdict(r) for r in ctx.store.requests]
    data["fault"] = ctx.runtime.faults.current()
    data["config"] = asdict(ctx.store.config)
    return 200, data


def show_fault(ctx: Ctx) -> Reply:
    return 200, {"fault": ctx.runtime.faults.current()}


def set_fault(ctx: Ctx) -> Reply:
    try:
        spec = parse_fault(ctx.params)
    except (TypeError, ValueError) as exc:
        raise _bad_request(str(exc)) from exc
    ctx.runtime.faults.set(spec, seed=as_int(ctx.params.get("seed")))
    return 200, {"fault": spec.describe()}


def clear_fault(ctx: Ctx) -> Reply:
    ctx.runtime.faults.clear()
    return 200, {"fault": None}


def list_requests(ctx: Ctx) -> Reply:
    """The API request log; ``?method=`` and ``?path=<regex>`` narrow it down."""
    method = ctx.request.args.get("method")
    path = ctx.request.args.get("path")
    try:
        pattern = re.compile(path) if path else None
    except re.error as exc:
        raise _bad_request(f"path is not a valid regex: {exc}") from exc
    rows = [
        asdict(r)
        for r in ctx.store.requests
        if (method is None or r.method == method.upper())
        and (pattern is None or pattern.search(r.path))
    ]
    return 200, {"count": len(rows), "requests": rows}


def clear_requests(ctx: Ctx) -> Reply:
    ctx.store.requests.clear()
    return 200, {"ok": True}


def list_deliveries(ctx: Ctx) -> Reply:
    event = ctx.request.args.get("event")
    rows = [asdict(d) for d in ctx.store.deliveries if event is None or d.event == event]
    return 200, {"count": len(rows), "deliveries": rows}


def flush_webhooks(ctx: Ctx) -> Reply:
    """Wait until queued deliveries were attempted (runs outside the store lock, see
    ``UNLOCKED``: the worker needs the lock to record results)."""
    timeout = float(ctx.params.get("timeout") or 10.0)
    return 200, {"flushed": ctx.runtime.dispatcher.flush(timeout)}


# -- simulations: what real Chatwoot would do when a customer writes in ------------------------


def _api_inbox(ctx: Ctx, account_id: int) -> Inbox:
    """The requested inbox, else the account's first API inbox, else a new one."""
    store = ctx.store
    wanted = as_int(ctx.params.get("inbox_id"))
    if wanted is not None:
        inbox = store.inboxes.get(wanted)
        if inbox is None or inbox.account_id != account_id:
            raise _bad_request(f"inbox {wanted} does not exist in account {account_id}")
        return inbox
    existing = sorted(
        (
            i
            for i in store.inboxes.values()
            if i.account_id == account_id and i.channel_type == API_CHANNEL
        ),
        key=lambda i: i.id,
    )
    if existing:
        return existing[0]
    stamp = now()
    inbox = Inbox(
        id=store.next_id("inbox"),
        account_id=account_id,
        channel_id=store.next_id("channel"),
        channel_type=API_CHANNEL,
        name="Sandbox API",
        created_at=stamp,
        updated_at=stamp,
        inbox_identifier=secure_token(),
        secret=secure_token(),
        hmac_token=secure_token(),
    )
    store.inboxes[inbox.id] = inbox
    return inbox


def _customer(ctx: Ctx, account_id: int) -> Contact:
    """``contact_id``, else a contact matched by identifier/email/phone, else a new one
    (which fires contact_created and is validated like any contact)."""
    store = ctx.store
    contact_id = as_int(ctx.params.get("contact_id"))
    if contact_id is not None:
        contact = store.contacts.get(contact_id)
        if contact is None or contact.account_id != account_id:
            raise _bad_request(f"contact {contact_id} does not exist in account {account_id}")
        return contact
    fields = ctx.params.get("contact") or {}
    if not isinstance(fields, dict):
        raise _bad_request("contact must be an object")
    for key in ("identifier", "email", "phone_number"):
        value = as_text(fields.get(key))
        if not value:
            continue
        # The index folds case / phone punctuation, so re-check the raw value; hits come in
        # id order, the order the former scan of store.contacts found them in.
        for contact in store.contacts_matching(account_id, key, [value]):
            stored = getattr(contact, key)
            if stored and (stored.lower() == value.lower() if key == "email" else stored == value):
                return contact
    contact, _ = contacts.create_contact(store, ctx.events, account_id, fields)
    return contact


def _incoming(ctx: Ctx, *, force_new: bool) -> Reply:
    store = ctx.store
    account_id = as_int(ctx.params.get("account_id")) or store.config.account_id
    if account_id not in store.accounts:
        raise _bad_request(f"account {account_id} does not exist")
    content = as_text(ctx.params.get("content"))
    attachments = _attachments(ctx, account_id)
    if not content and not attachments:
        raise _bad_request("content or attachments is required")
    inbox = _api_inbox(ctx, account_id)
    contact = _customer(ctx, account_id)
    message_params: dict[str, Any] = {
        "content": content,
        "message_type": "incoming",
        "source_id": ctx.params.get("source_id"),
        "content_attributes": ctx.params.get("content_attributes") or {},
    }
    conversation = None if force_new else _open_conversation(ctx, contact, inbox)
    before = set(store.messages)
    if conversation is None:
        row = contacts.ensure_contact_inbox(
            store, contact, inbox, as_text(ctx.params.get("contact_source_id"))
        )
        conversation = conversations.create_conversation(
            store,
            ctx.events,
            inbox=inbox,
            contact=contact,
            contact_inbox=row,
            params={
                "additional_attributes": ctx.params.get("additional_attributes"),
                "custom_attributes": ctx.params.get("custom_attributes"),
            },
            actor=None,
            initial_message=message_params,
            initial_incoming=True,
        )
        message = store.messages_of(conversation.id)[-1]
    else:
        message = conversations.add_message(
            store, ctx.events, conversation, message_params, sender_user=None
        )
    if attachments and message.id not in before:
        # Chatwoot stores the files before the message's events go out: the simulated
        # rows are on the message its webhook is built from (the events are sent after
        # this view returns).
        message.attachments = [{**a, "message_id": message.id} for a in attachments]
        _refresh_message_events(ctx, message.id)
    return 200, {
        "contact": serializers.contact(
            store, store.contacts[contact.id], with_contact_inboxes=True
        ),
        "conversation": serializers.conversation(store, conversation),
        "message": serializers.message(store, message),
    }


def _attachments(ctx: Ctx, account_id: int) -> list[dict[str, Any]]:
    """``attachments``: [{"file_type": "image", "extension": "jpg"}, ...] -> push-event rows."""
    raw = ctx.params.get("attachments") or []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise _bad_request("attachments must be a list of objects")
    rows = []
    for item in raw:
        file_type = as_text(item.get("file_type")) or "file"
        extension = as_text(item.get("extension")) or "bin"
        ident = ctx.store.next_id("attachment")
        rows.append({
            "id": ident, "message_id": None, "file_type": file_type, "account_id": account_id,
            "extension": extension, "content_type": None,
            "data_url": f"{ctx.request.host_url}rails/active_storage/{ident}.{extension}",
            "thumb_url": "", "file_size": int(item.get("file_size") or 1024),
            "width": None, "height": None,
        })
    return rows


def _refresh_message_events(ctx: Ctx, message_id: int) -> None:
    """Rebuild the queued message_created payload of ``message_id`` with its attachments."""
    from . import payloads

    for index, event in enumerate(ctx.events):
        if event.event == "message_created" and event.message_id == message_id:
            payload = payloads.with_event(
                payloads.message_data(ctx.store, ctx.store.messages[message_id]),
                "message_created")
            ctx.events[index] = replace(event, payload=payload)


def _open_conversation(ctx: Ctx, contact: Contact, inbox: Inbox) -> Conversation | None:
    """An explicit ``conversation_id`` (display id), else the contact's latest conversation
    in the inbox that is not resolved."""
    store = ctx.store
    display_id = as_int(ctx.params.get("conversation_id"))
    if display_id is not None:
        conversation = store.conversation_by_display_id(inbox.account_id, display_id)
        if conversation is None or conversation.contact_id != contact.id:
            raise _bad_request(f"conversation {display_id} does not belong to the contact")
        return conversation
    candidates = [
        c
        for c in store.conversations.values()
        if c.contact_id == contact.id and c.inbox_id == inbox.id and c.status != "resolved"
    ]
    return max(candidates, key=lambda c: c.id) if candidates else None


def simulate_incoming_message(ctx: Ctx) -> Reply:
    return _incoming(ctx, force_new=False)


def simulate_conversation_created(ctx: Ctx) -> Reply:
    return _incoming(ctx, force_new=True)


# Views the app must not run under store.lock.
UNLOCKED = frozenset({flush_webhooks})

ROUTES = (
    ("/health", ("GET",), health),
    ("/reset", ("POST",), reset),
    ("/state", ("GET",), state),
    ("/faults", ("GET",), show_fault),
    ("/faults", ("POST",), set_fault),
    ("/faults", ("DELETE",), clear_fault),
    ("/requests", ("GET",), list_requests),
    ("/requests", ("DELETE",), clear_requests),
    ("/webhook_deliveries", ("GET",), list_deliveries),
    ("/webhooks/flush", ("POST",), flush_webhooks),
    ("/simulate/incoming_message", ("POST",), simulate_incoming_message),
    ("/simulate/conversation_created", ("POST",), simulate_conversation_created),
)
