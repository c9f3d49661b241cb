"""REST response shapes, each a transcription of the Chatwoot jbuilder view named in its
docstring (NOTES §2). Callers hold ``store.lock``."""

from __future__ import annotations

from typing import Any

from .models import (
    API_CHANNEL,
    WEB_WIDGET_CHANNEL,
    Account,
    AccountUser,
    Contact,
    ContactInbox,
    Conversation,
    DashboardApp,
    Inbox,
    Message,
    Team,
    User,
    Webhook,
)
from .state import Store
from .timestamps import iso, unix

JSON = dict[str, Any]


# -- contacts ------------------------------------------------------------------------------


def contact(store: Store, record: Contact, *, with_contact_inboxes: bool = False) -> JSON:
    """api/v1/models/_contact.json.jbuilder (``contact_inboxes`` only on /contacts routes;
    ``last_activity_at`` omitted while nil)."""
    data: JSON = {
        "additional_attributes": record.additional_attributes,
        "availability_status": "offline",
        "email": record.email,
        "id": record.id,
        "name": record.name,
        "phone_number": record.phone_number,
        "blocked": record.blocked,
        "identifier": record.identifier,
        "thumbnail": "",
        "custom_attributes": record.custom_attributes,
    }
    if record.last_activity_at is not None:
        data["last_activity_at"] = unix(record.last_activity_at)
    data["created_at"] = unix(record.created_at)
    if with_contact_inboxes:
        data["contact_inboxes"] = [
            contact_inbox(store, ci) for ci in store.contact_inboxes_of(record.id)
        ]
    return data


def contact_inbox(store: Store, record: ContactInbox) -> JSON:
    """api/v1/models/_contact_inbox.json.jbuilder."""
    return {"source_id": record.source_id, "inbox": inbox_slim(store.inboxes[record.inbox_id])}


def contact_push_event(record: Contact) -> JSON:
    """Contact#push_event_data: message senders, conversation meta.sender in webhooks."""
    return {
        "additional_attributes": record.additional_attributes,
        "custom_attributes": record.custom_attributes,
        "email": record.email,
        "id": record.id,
        "identifier": record.identifier,
        "name": record.name,
        "phone_number": record.phone_number,
        "thumbnail": "",
        "blocked": record.blocked,
        "type": "contact",
    }


# -- inboxes -------------------------------------------------------------------------------


def inbox_slim(record: Inbox) -> JSON:
    """api/v1/models/_inbox_slim.json.jbuilder."""
    return {
        "id": record.id,
        "avatar_url": "",
        "channel_id": record.channel_id,
        "name": record.name,
        "channel_type": record.channel_type,
        "provider": None,
    }


def _working_hours() -> list[JSON]:
    """Inbox#weekly_schedule for the default working hours (Mon-Fri 9-17, weekend closed)."""
    days: list[JSON] = []
    for day in range(7):
        closed = day in (0, 6)
        days.append(
            {
                "day_of_week": day,
                "closed_all_day": closed,
                "open_hour": None if closed else 9,
                "open_minutes": None if closed else 0,
                "close_hour": None if closed else 17,
                "close_minutes": None if closed else 0,
                "open_all_day": False,
            }
        )
    return days


def inbox(record: Inbox, *, admin: bool) -> JSON:
    """api/v1/models/_inbox.json.jbuilder; channel credentials only for administrators.

    Web-widget keys are emitted for web-widget inboxes only (NOTES §8 lists them per channel).
    """
    data: JSON = {
        "id": record.id,
        "avatar_url": "",
        "channel_id": record.channel_id,
        "name": record.name,
        "channel_type": record.channel_type,
        "greeting_enabled": record.greeting_enabled,
        "greeting_message": record.greeting_message,
        "working_hours_enabled": record.working_hours_enabled,
        "enable_email_collect": record.enable_email_collect,
        "csat_survey_enabled": record.csat_survey_enabled,
        "csat_config": {},
        "enable_auto_assignment": record.enable_auto_assignment,
        "auto_assignment_config": {},
        "out_of_office_message": record.out_of_office_message,
        "working_hours": _working_hours(),
        "timezone": record.timezone,
        "callback_webhook_url": None,
        "allow_messages_after_resolved": record.allow_messages_after_resolved,
        "lock_to_single_conversation": record.lock_to_single_conversation,
        "sender_name_type": record.sender_name_type,
        "business_name": record.business_name,
        "hmac_mandatory": record.hmac_mandatory,
    }
    if record.channel_type == WEB_WIDGET_CHANNEL:
        data.update(
            {
                "widget_color": record.widget_color,
                "website_url": record.website_url,
                "welcome_title": record.welcome_title,
                "welcome_tagline": record.welcome_tagline,
                "web_widget_script": _widget_script(record),
                "website_token": record.website_token,
                "selected_feature_flags": ["attachments", "emoji_picker", "end_conversation"],
                "reply_time": "in_a_few_minutes",
                "pre_chat_form_enabled": False,
                "pre_chat_form_options": {},
                "continuity_via_email": True,
            }
        )
        if admin:
            data["hmac_token"] = record.hmac_token
    if record.channel_type == API_CHANNEL:
        if admin:
            data["hmac_token"] = record.hmac_token
            data["secret"] = record.secret
        data["webhook_url"] = record.webhook_url
        data["inbox_identifier"] = record.inbox_identifier
        data["additional_attributes"] = record.additional_attributes
    data["provider"] = None
    return data


def _widget_script(record: Inbox) -> str:
    return (
        "<script>window.chatwootSDK.run({websiteToken: '"
        + (record.website_token or "")
        + "', baseUrl: BASE_URL})</script>"
    )


def inbox_row(record: Inbox) -> JSON:
    """``Inbox#as_json``: the raw row, as rendered in ``POST /contacts`` contact_inbox."""
    return {
        "id": record.id,
        "channel_id": record.channel_id,
        "account_id": record.account_id,
        "name": record.name,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "channel_type": record.channel_type,
        "enable_auto_assignment": record.enable_auto_assignment,
        "greeting_enabled": record.greeting_enabled,
        "greeting_message": record.greeting_message,
        "email_address": None,
        "working_hours_enabled": record.working_hours_enabled,
        "out_of_office_message": record.out_of_office_message,
        "timezone": record.timezone,
        "enable_email_collect": record.enable_email_collect,
        "csat_survey_enabled": record.csat_survey_enabled,
        "allow_messages_after_resolved": record.allow_messages_after_resolved,
        "auto_assignment_config": {},
        "lock_to_single_conversation": record.lock_to_single_conversation,
        "portal_id": None,
        "sender_name_type": record.sender_name_type,
        "business_name": record.business_name,
        "csat_config": {},
    }


# -- users -----------------------------------------------------------------------------------


def user_push_event(record: User) -> JSON:
    """User#push_event_data: message senders and conversation assignees."""
    return {
        "id": record.id,
        "name": record.name,
        "available_name": record.display_name or record.name,
        "avatar_url": "",
        "type": "user",
        "availability_status": "online",
        "thumbnail": "",
    }


def agent(record: User, membership: AccountUser) -> JSON:
    """api/v1/models/_agent.json.jbuilder."""
    data: JSON = {
        "id": record.id,
        "account_id": membership.account_id,
        "availability_status": membership.availability,
        "auto_offline": membership.auto_offline,
        "confirmed": True,
        "email": record.email,
        "provider": "email",
        "available_name": record.display_name or record.name,
        "name": record.name,
        "role": membership.role,
        "thumbnail": "",
        "custom_role_id": None,
    }
    if record.custom_attributes:
        data["custom_attributes"] = record.custom_attributes
    return data


def user(store: Store, record: User) -> JSON:
    """The user partial shared by Platform API users and ``GET /api/v1/profile``.

    ``account_id``/``role`` come from the active account user; nil while the user has no
    account (a freshly created Platform user).
    """
    memberships = store.account_users_of(record.id)
    active = memberships[0] if memberships else None
    data: JSON = {
        "access_token": record.access_token,
        "account_id": active.account_id if active else None,
        "available_name": record.display_name or record.name,
        "avatar_url": "",
        "confirmed": True,
        "display_name": record.display_name,
        "message_signature": record.message_signature,
        "email": record.email,
        "id": record.id,
        "name": record.name,
        "provider": "email",
        "pubsub_token": record.pubsub_token,
        "custom_attributes": record.custom_attributes,
        "role": active.role if active else None,
        "ui_settings": {},
        "uid": record.email,
        "accounts": [
            {
                "id": m.account_id,
                "name": store.accounts[m.account_id].name,
                "status": store.accounts[m.account_id].status,
                "active_at": iso(m.active_at),
                "role": m.role,
                "availability": m.availability,
                "availability_status": m.availability,
                "auto_offline": m.auto_offline,
                "custom_role_id": None,
            }
            for m in memberships
        ],
    }
    return data


def platform_account(record: Account) -> JSON:
    """platform/api/v1/accounts/_account.json.jbuilder (features: enabled flags only)."""
    return {
        "id": record.id,
        "name": record.name,
        "locale": record.locale,
        "domain": record.domain,
        "support_email": record.support_email,
        "features": {flag: True for flag, enabled in record.features.items() if enabled},
        "custom_attributes": record.custom_attributes,
        "limits": record.limits,
        "status": record.status,
    }


def account_user_row(record: AccountUser) -> JSON:
    """``AccountUser#as_json``: the raw row the Platform API returns."""
    return {
        "id": record.id,
        "account_id": record.account_id,
        "user_id": record.user_id,
        "role": record.role,
        "inviter_id": record.inviter_id,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "active_at": iso(record.active_at),
        "availability": record.availability,
        "auto_offline": record.auto_offline,
        "custom_role_id": None,
        "agent_capacity_policy_id": None,
    }


# -- conversations and messages ------------------------------------------------------------------


def unread_count(store: Store, record: Conversation) -> int:
    seen = record.agent_last_seen_at
    return sum(
        1
        for m in store.messages_of(record.id)
        if m.message_type == 0 and (seen is None or m.created_at > seen)
    )


def sender_push_event(store: Store, record: Message) -> JSON | None:
    if record.sender_type == "Contact" and record.sender_id in store.contacts:
        return contact_push_event(store.contacts[record.sender_id])
    if record.sender_type == "User" and record.sender_id in store.users:
        return user_push_event(store.users[record.sender_id])
    return None


def message_push_event(store: Store, record: Message) -> JSON:
    """Message#push_event_data: every column + conversation summary + sender."""
    conversation = store.conversations[record.conversation_id]
    data: JSON = {
        "id": record.id,
        "content": record.content,
        "account_id": record.account_id,
        "inbox_id": record.inbox_id,
        "conversation_id": conversation.display_id,
        "message_type": record.message_type,
        "created_at": unix(record.created_at),
        "updated_at": iso(record.updated_at),
        "private": record.private,
        "status": record.status,
        "source_id": record.source_id,
        "content_type": record.content_type,
        "content_attributes": record.content_attributes,
        "sender_type": record.sender_type,
        "sender_id": record.sender_id,
        "external_source_ids": record.external_source_ids,
        "additional_attributes": record.additional_attributes,
        "processed_message_content": record.content,
        "sentiment": {},
        "conversation": {
            "assignee_id": conversation.assignee_id,
            "unread_count": unread_count(store, conversation),
            "last_activity_at": unix(conversation.last_activity_at),
            "contact_inbox": {
                "source_id": store.contact_inboxes[conversation.contact_inbox_id].source_id
            },
        },
    }
    if record.echo_id:
        data["echo_id"] = record.echo_id
    sender = sender_push_event(store, record)
    if sender is not None:
        data["sender"] = sender
    return data


def message(store: Store, record: Message) -> JSON:
    """api/v1/models/_message.json.jbuilder (message_type as the integer)."""
    conversation = store.conversations[record.conversation_id]
    data: JSON = {"id": record.id, "content": record.content, "inbox_id": record.inbox_id}
    if record.echo_id:
        data["echo_id"] = record.echo_id
    data.update(
        {
            "conversation_id": conversation.display_id,
            "message_type": record.message_type,
            "content_type": record.content_type,
            "status": record.status,
            "content_attributes": record.content_attributes,
            "created_at": unix(record.created_at),
            "private": record.private,
            "source_id": record.source_id,
        }
    )
    sender = sender_push_event(store, record)
    if sender is not None:
        data["sender"] = sender
    return data


def conversation(store: Store, record: Conversation) -> JSON:
    """api/v1/conversations/partials/_conversation.json.jbuilder."""
    inbox_record = store.inboxes[record.inbox_id]
    meta: JSON = {
        "sender": contact(store, store.contacts[record.contact_id]),
        "channel": inbox_record.channel_type,
    }
    if record.assignee_id is not None and record.assignee_id in store.users:
        membership = store.account_user(record.account_id, record.assignee_id)
        if membership is not None:
            meta["assignee"] = agent(store.users[record.assignee_id], membership)
            meta["assignee_type"] = "User"
    if record.team_id is not None and record.team_id in store.teams:
        meta["team"] = team_push_event(store.teams[record.team_id])
    meta["hmac_verified"] = store.contact_inboxes[record.contact_inbox_id].hmac_verified
    messages = store.messages_of(record.id)
    non_activity = [m for m in messages if m.message_type != 2]
    return {
        "meta": meta,
        "id": record.display_id,
        "messages": [message_push_event(store, messages[-1])] if messages else [],
        "account_id": record.account_id,
        "uuid": record.uuid,
        "additional_attributes": record.additional_attributes,
        "agent_last_seen_at": unix(record.agent_last_seen_at),
        "assignee_last_seen_at": unix(record.assignee_last_seen_at),
        "can_reply": True,
        "contact_last_seen_at": unix(record.contact_last_seen_at),
        "custom_attributes": record.custom_attributes,
        "inbox_id": record.inbox_id,
        "labels": record.labels,
        "muted": False,
        "snoozed_until": iso(record.snoozed_until),
        "status": record.status,
        "created_at": unix(record.created_at),
        "updated_at": record.updated_at,
        "timestamp": unix(record.last_activity_at),
        "first_reply_created_at": unix(record.first_reply_created_at),
        "unread_count": unread_count(store, record),
        "last_non_activity_message": (
            message_push_event(store, non_activity[-1]) if non_activity else None
        ),
        "last_activity_at": unix(record.last_activity_at),
        "priority": record.priority,
        "waiting_since": unix(record.waiting_since),
        "sla_policy_id": None,
    }


def messages_meta(store: Store, record: Conversation) -> JSON:
    """api/v1/accounts/conversations/messages/index.json.jbuilder ``meta``."""
    meta: JSON = {
        "labels": record.labels,
        "additional_attributes": record.additional_attributes,
        "contact": contact_push_event(store.contacts[record.contact_id]),
    }
    if record.assignee_id is not None and record.assignee_id in store.users:
        meta["assignee"] = user_push_event(store.users[record.assignee_id])
    meta["agent_last_seen_at"] = iso(record.agent_last_seen_at)
    meta["assignee_last_seen_at"] = iso(record.assignee_last_seen_at)
    return meta


# -- account settings --------------------------------------------------------------------------


def webhook(store: Store, record: Webhook) -> JSON:
    """api/v1/accounts/webhooks/_webhook.json.jbuilder (``secret`` since v4.11.2)."""
    data: JSON = {
        "id": record.id,
        "name": record.name,
        "url": record.url,
        "account_id": record.account_id,
        "subscriptions": record.subscriptions,
        "secret": record.secret,
    }
    inbox_record = store.inboxes.get(record.inbox_id) if record.inbox_id else None
    if inbox_record is not None:
        data["inbox"] = {"id": inbox_record.id, "name": inbox_record.name}
    return data


def team(record: Team, user_id: int | None = None) -> JSON:
    """api/v1/accounts/teams/_team.json.jbuilder (swagger ``team``)."""
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "allow_auto_assign": record.allow_auto_assign,
        "account_id": record.account_id,
        "is_member": user_id in record.member_ids,
    }


def team_push_event(record: Team) -> JSON:
    """Team#push_event_data: what conversation ``meta.team`` carries."""
    return {"id": record.id, "name": record.name, "icon": "", "icon_color": ""}


def dashboard_app(record: DashboardApp) -> JSON:
    """api/v1/accounts/dashboard_apps/_dashboard_app.json.jbuilder."""
    return {
        "id": record.id,
        "title": record.title,
        "content": record.content,
        "created_at": iso(record.created_at),
    }
