"""In-memory records, one dataclass per Chatwoot table the sandbox simulates.

Fields keep Chatwoot's column names so serializers read like the jbuilder views they copy.
Times are Unix floats; serializers convert them to the encoding each view uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Message#message_type enum (stored as integer, REST shows the integer, webhooks the name).
MESSAGE_TYPES: dict[str, int] = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
MESSAGE_TYPE_NAMES: dict[int, str] = {value: key for key, value in MESSAGE_TYPES.items()}
CONTENT_TYPES = (
    "text",
    "input_text",
    "input_textarea",
    "input_email",
    "input_select",
    "cards",
    "form",
    "article",
    "incoming_email",
    "input_csat",
    "integrations",
    "sticker",
    "voice_call",
)
CONVERSATION_STATUSES = ("open", "resolved", "pending", "snoozed")
PRIORITIES = ("low", "medium", "high", "urgent")
ROLES = ("agent", "administrator")
API_CHANNEL = "Channel::Api"
WEB_WIDGET_CHANNEL = "Channel::WebWidget"


@dataclass
class Account:
    id: int
    name: str
    created_at: float
    locale: str = "en"
    domain: str | None = None
    support_email: str | None = None
    status: str = "active"
    features: dict[str, bool] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    custom_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class User:
    id: int
    name: str
    email: str
    access_token: str
    pubsub_token: str
    created_at: float
    display_name: str | None = None
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    message_signature: str | None = None


@dataclass
class AccountUser:
    id: int
    account_id: int
    user_id: int
    role: str
    created_at: float
    updated_at: float
    inviter_id: int | None = None
    active_at: float | None = None
    availability: str = "online"
    auto_offline: bool = True


@dataclass
class Inbox:
    id: int
    account_id: int
    channel_id: int
    channel_type: str
    name: str
    created_at: float
    updated_at: float
    # API channel columns
    webhook_url: str | None = None
    inbox_identifier: str | None = None
    secret: str | None = None
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    # shared by API and web widget channels (identity validation, NOTES §11)
    hmac_token: str | None = None
    hmac_mandatory: bool = False
    # web widget channel columns
    website_url: str | None = None
    website_token: str | None = None
    widget_color: str = "#1f93ff"
    welcome_title: str | None = None
    welcome_tagline: str | None = None
    # inbox columns
    greeting_enabled: bool = False
    greeting_message: str | None = None
    enable_email_collect: bool = True
    csat_survey_enabled: bool = False
    enable_auto_assignment: bool = True
    working_hours_enabled: bool = False
    out_of_office_message: str | None = None
    timezone: str = "UTC"
    allow_messages_after_resolved: bool = True
    lock_to_single_conversation: bool = False
    sender_name_type: str = "friendly"
    business_name: str | None = None
    member_ids: list[int] = field(default_factory=list)


@dataclass
class Contact:
    id: int
    account_id: int
    created_at: float
    updated_at: float
    name: str | None = ""
    email: str | None = None
    phone_number: str | None = None
    identifier: str | None = None
    blocked: bool = False
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    last_activity_at: float | None = None
    # Kept in sync from additional_attributes by Contacts::SyncAttributes (not in REST JSON).
    location: str = ""
    country_code: str = ""


@dataclass
class ContactInbox:
    id: int
    contact_id: int
    inbox_id: int
    source_id: str
    pubsub_token: str
    created_at: float
    updated_at: float
    hmac_verified: bool = False


@dataclass
class Conversation:
    id: int  # database id: never in URLs or JSON
    display_id: int  # per-account sequence: the `id` of every conversation JSON and URL
    account_id: int
    inbox_id: int
    contact_id: int
    contact_inbox_id: int
    uuid: str
    created_at: float
    updated_at: float
    last_activity_at: float
    status: str = "open"
    assignee_id: int | None = None
    team_id: int | None = None
    priority: str | None = None
    snoozed_until: float | None = None
    waiting_since: float | None = None
    first_reply_created_at: float | None = None
    agent_last_seen_at: float | None = None
    assignee_last_seen_at: float | None = None
    contact_last_seen_at: float | None = None
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)


@dataclass
class Message:
    id: int
    account_id: int
    inbox_id: int
    conversation_id: int  # database id of the conversation
    message_type: int
    created_at: float
    updated_at: float
    content: str | None = None
    content_type: str = "text"
    content_attributes: dict[str, Any] = field(default_factory=dict)
    private: bool = False
    status: str = "sent"
    source_id: str | None = None
    sender_type: str | None = None  # "Contact" | "User"
    sender_id: int | None = None
    echo_id: str | None = None
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    # Attachment#push_event_data rows (simulated uploads: no file is stored).
    attachments: list[dict[str, Any]] = field(default_factory=list)
    external_source_ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class Webhook:
    id: int
    account_id: int
    url: str
    secret: str
    created_at: float
    name: str | None = None
    subscriptions: list[str] = field(default_factory=list)
    inbox_id: int | None = None


@dataclass
class Team:
    """teams table (swagger ``team``): conversations are assigned to one by id."""

    id: int
    account_id: int
    name: str
    created_at: float
    description: str | None = None
    allow_auto_assign: bool = True
    member_ids: list[int] = field(default_factory=list)


@dataclass
class DashboardApp:
    id: int
    account_id: int
    user_id: int
    title: str
    content: list[dict[str, Any]]
    created_at: float
    updated_at: float


@dataclass
class WebhookDelivery:
    """One outbound webhook attempt, kept for inspection through /_sandbox/."""

    delivery_id: str
    target: str  # "account_webhook" | "api_inbox"
    target_id: int
    url: str
    event: str
    account_id: int
    body: str
    signed: bool
    queued_at: float
    state: str = "pending"  # pending | delivered | failed | dropped
    status_code: int | None = None
    error: str | None = None
    duration: float | None = None


@dataclass
class RequestRecord:
    """One API request as the sandbox saw it, for tests that count calls."""

    id: int
    at: float
    method: str
    path: str
    query: str
    body: Any
    status: int | None = None
    fault: str | None = None
