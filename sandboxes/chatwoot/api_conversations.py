"""Conversation and message views (NOTES §2, §6, §7). URLs carry the per-account
``display_id``, never the database id."""

from __future__ import annotations

from typing import Any

from . import api_account, contacts, conversations, errors, serializers
from .context import Ctx, Reply, as_int, as_text
from .models import ContactInbox, Conversation
from .timestamps import iso

PAGE_SIZE = 25  # CONVERSATION_RESULTS_PER_PAGE


def visible_conversations(ctx: Ctx) -> list[Conversation]:
    """Agents only see conversations of inboxes they are members of."""
    visible = api_account.visible_inbox_ids(ctx)
    return [
        c
        for c in ctx.store.conversations.values()
        if c.account_id == ctx.me.account.id and c.inbox_id in visible
    ]


def _conversation(ctx: Ctx) -> Conversation:
    conversation = ctx.store.conversation_by_display_id(
        ctx.me.account.id, ctx.path_id("conversation_id")
    )
    if conversation is None:
        raise errors.not_found()
    if conversation.inbox_id not in api_account.visible_inbox_ids(ctx):
        raise errors.not_authorized_action()
    return conversation


def list_conversations(ctx: Ctx) -> Reply:
    args = ctx.request.args
    status = args.get("status") or "open"
    found = visible_conversations(ctx)
    if status != "all":
        found = [c for c in found if c.status == status]
    inbox_id = as_int(args.get("inbox_id"))
    if inbox_id is not None:
        found = [c for c in found if c.inbox_id == inbox_id]
    me = ctx.me.user.id
    meta = {
        "mine_count": sum(1 for c in found if c.assignee_id == me),
        "assigned_count": sum(1 for c in found if c.assignee_id is not None),
        "unassigned_count": sum(1 for c in found if c.assignee_id is None),
        "all_count": len(found),
    }
    assignee_type = args.get("assignee_type")
    if assignee_type == "me":
        found = [c for c in found if c.assignee_id == me]
    elif assignee_type == "unassigned":
        found = [c for c in found if c.assignee_id is None]
    elif assignee_type == "assigned":
        found = [c for c in found if c.assignee_id is not None]
    found.sort(key=lambda c: c.last_activity_at, reverse=True)
    page_number = max(as_int(args.get("page")) or 1, 1)
    page = found[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE]
    return 200, {
        "data": {"meta": meta, "payload": [serializers.conversation(ctx.store, c) for c in page]}
    }


def _contact_inbox(ctx: Ctx) -> ContactInbox:
    """ConversationsController#contact_inbox: inbox + contact (a new contact inbox via
    ContactInboxBuilder), else the legacy lookup by ``source_id`` alone."""
    params = ctx.params
    if params.get("contact_id") not in (None, "") and params.get("inbox_id") not in (None, ""):
        contact_id = as_int(params["contact_id"])
        contact = ctx.store.contacts.get(contact_id) if contact_id is not None else None
        if contact is None or contact.account_id != ctx.me.account.id:
            raise errors.not_found()
        inbox = api_account.account_inbox(ctx, params["inbox_id"])
        row = contacts.ensure_contact_inbox(
            ctx.store, contact, inbox, as_text(params.get("source_id")) or None
        )
    else:
        source_id = as_text(params.get("source_id"))
        row = next(
            (
                ci
                for ci in ctx.store.contact_inboxes.values()
                if source_id and ci.source_id == source_id
            ),
            None,
        )
        if row is None:
            raise errors.not_found()
    if row.inbox_id not in api_account.visible_inbox_ids(ctx):
        raise errors.not_authorized_action()
    return row


def create_conversation(ctx: Ctx) -> Reply:
    """Returns the full conversation (NOTES §14: not swagger's 3-field stub)."""
    row = _contact_inbox(ctx)
    message = ctx.params.get("message")
    conversation = conversations.create_conversation(
        ctx.store,
        ctx.events,
        inbox=ctx.store.inboxes[row.inbox_id],
        contact=ctx.store.contacts[row.contact_id],
        contact_inbox=row,
        params=ctx.params,
        actor=ctx.me.user,
        initial_message=message if isinstance(message, dict) and message else None,
    )
    return 200, serializers.conversation(ctx.store, conversation)


def show_conversation(ctx: Ctx) -> Reply:
    return 200, serializers.conversation(ctx.store, _conversation(ctx))


def toggle_status(ctx: Ctx) -> Reply:
    conversation = _conversation(ctx)
    conversations.toggle_status(
        ctx.store,
        ctx.events,
        conversation,
        ctx.params.get("status"),
        ctx.params.get("snoozed_until"),
        ctx.me.user,
        actor_is_agent=not ctx.me.is_admin,
    )
    return 200, {
        "meta": {},
        "payload": {
            "success": True,
            "conversation_id": conversation.display_id,
            "current_status": conversation.status,
            "snoozed_until": iso(conversation.snoozed_until),
        },
    }


def toggle_priority(ctx: Ctx) -> Reply:
    conversations.set_priority(
        ctx.store, ctx.events, _conversation(ctx), ctx.params.get("priority")
    )
    return 200, None


def custom_attributes(ctx: Ctx) -> Reply:
    """Replaces the whole hash (v4.16.2 semantics; no ``merge`` flag)."""
    conversation = _conversation(ctx)
    attributes = ctx.params.get("custom_attributes")
    conversations.replace_custom_attributes(
        ctx.store, ctx.events, conversation, attributes if isinstance(attributes, dict) else {}
    )
    return 200, {"custom_attributes": conversation.custom_attributes}


def assignments(ctx: Ctx) -> Reply:
    conversation = _conversation(ctx)
    if "team_id" in ctx.params and "assignee_id" not in ctx.params:
        team_id = as_int(ctx.params.get("team_id"))
        if not team_id:
            conversations.assign_team(ctx.store, ctx.events, conversation, None)
            return 200, None  # team_id 0 unassigns
        team = ctx.store.teams.get(team_id)
        if team is None or team.account_id != conversation.account_id:
            raise errors.not_found()  # develop: an unknown team id is a 404 (NOTES §6)
        conversations.assign_team(ctx.store, ctx.events, conversation, team.id)
        return 200, serializers.team(team, ctx.me.user.id)  # the raw team row
    user = conversations.assign(
        ctx.store, ctx.events, conversation, as_int(ctx.params.get("assignee_id"))
    )
    if user is None:
        return 200, None
    membership = ctx.store.account_user(conversation.account_id, user.id)
    assert membership is not None
    return 200, serializers.agent(user, membership)


def list_messages(ctx: Ctx) -> Reply:
    conversation = _conversation(ctx)
    args = ctx.request.args
    messages = conversations.list_messages(
        ctx.store, conversation, args.get("before"), args.get("after")
    )
    if args.get("filter_internal_messages") == "true":
        messages = [m for m in messages if not m.private]
    return 200, {
        "meta": serializers.messages_meta(ctx.store, conversation),
        "payload": [serializers.message(ctx.store, m) for m in messages],
    }


def create_message(ctx: Ctx) -> Reply:
    conversation = _conversation(ctx)
    params: dict[str, Any] = ctx.params
    message = conversations.add_message(
        ctx.store, ctx.events, conversation, params, sender_user=ctx.me.user
    )
    return 200, serializers.message(ctx.store, message)


ROUTES = (
    ("/conversations", ("GET",), list_conversations),
    ("/conversations", ("POST",), create_conversation),
    ("/conversations/<conversation_id>", ("GET",), show_conversation),
    ("/conversations/<conversation_id>/toggle_status", ("POST",), toggle_status),
    ("/conversations/<conversation_id>/toggle_priority", ("POST",), toggle_priority),
    ("/conversations/<conversation_id>/custom_attributes", ("POST",), custom_attributes),
    ("/conversations/<conversation_id>/assignments", ("POST",), assignments),
    ("/conversations/<conversation_id>/messages", ("GET",), list_messages),
    ("/conversations/<conversation_id>/messages", ("POST",), create_message),
)
