"""Model validations Chatwoot runs before it saves, with its exact full messages.

Each validator returns a list of ``(attribute, full_message)`` in the order ActiveRecord
would add them; ``errors.record_invalid`` turns that into the 422 body. Rules come from
NOTES §5 (contacts), §9 (platform users, dashboard apps), §10.1 (webhooks) and the models
they cite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .models import Contact, Webhook

# Contact phone_number format on develop (NOTES §5): anchored both ends, ASCII digits.
E164 = re.compile(r"\A\+[1-9]\d{1,14}\Z", re.ASCII)
# Devise.email_regexp default.
EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\Z")
# URI::DEFAULT_PARSER.make_regexp(%w[http https]) is unanchored: it accepts any string that
# *contains* an http(s) URI, so "see https://x" passes in Chatwoot too.
HTTP_URL = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)
WEBHOOK_EVENTS = (
    "conversation_status_changed",
    "conversation_updated",
    "conversation_created",
    "contact_created",
    "contact_updated",
    "message_created",
    "message_updated",
    "webwidget_triggered",
    "inbox_created",
    "inbox_updated",
    "conversation_typing_on",
    "conversation_typing_off",
)
# Inbox#name validation (errors.inboxes.validations.name).
_INBOX_NAME_FORBIDDEN = re.compile(r"[<>/\\@]")
_INBOX_NAME_EDGE = re.compile(r"\A[^\w]|[^\w]\Z")

Errors = list[tuple[str, str]]


def is_e164(phone: str) -> bool:
    return bool(E164.match(phone))


def contact_errors(candidate: Contact, others: Iterable[Contact]) -> Errors:
    """Contact validations in declaration order: email, identifier, phone_number.

    ``others`` are the other contacts of the same account (uniqueness is per account).
    """
    others = [c for c in others if c.id != candidate.id]
    errors: Errors = []
    email = candidate.email
    if email:
        if any(c.email and c.email.lower() == email.lower() for c in others):
            errors.append(("email", "Email has already been taken"))
        if not EMAIL.match(email):
            errors.append(("email", "Email Invalid email"))
    identifier = candidate.identifier
    if identifier and any(c.identifier == identifier for c in others):
        errors.append(("identifier", "Identifier has already been taken"))
    phone = candidate.phone_number
    if phone:
        if any(c.phone_number == phone for c in others):
            errors.append(("phone_number", "Phone number has already been taken"))
        if not is_e164(phone):
            errors.append(("phone_number", "Phone number should be in e164 format"))
    return errors


def webhook_errors(candidate: Webhook, others: Iterable[Webhook]) -> Errors:
    """Webhook validations: url uniqueness + format, then the subscription list."""
    errors: Errors = []
    url = candidate.url or ""
    if any(w.url == url and w.id != candidate.id for w in others):
        errors.append(("url", "Url has already been taken"))
    if not HTTP_URL.search(url):
        errors.append(("url", "Url is invalid"))
    subscriptions: Any = candidate.subscriptions
    if (
        not isinstance(subscriptions, list)
        or not subscriptions
        or any(event not in WEBHOOK_EVENTS for event in subscriptions)
    ):
        errors.append(("subscriptions", "Subscriptions Invalid events"))
    return errors


def inbox_name_errors(name: Any) -> Errors:
    if not isinstance(name, str) or not name.strip():
        return [("name", "Name can't be blank")]
    if _INBOX_NAME_FORBIDDEN.search(name) or _INBOX_NAME_EDGE.search(name):
        return [
            (
                "name",
                "Name should not start or end with symbols, and it should not have "
                "< > / \\ @ characters.",
            )
        ]
    return []


def new_user_errors(name: Any, email: Any, password: Any) -> Errors:
    """Devise :validatable + :password_has_required_content (6-128 chars, at least one
    upper, lower, digit and symbol) for a user the Platform API creates."""
    errors: Errors = []
    if not isinstance(name, str) or not name.strip():
        errors.append(("name", "Name can't be blank"))
    if not isinstance(email, str) or not email.strip():
        errors.append(("email", "Email can't be blank"))
    elif not EMAIL.match(email):
        errors.append(("email", "Email is invalid"))
    if not isinstance(password, str) or not password:
        errors.append(("password", "Password can't be blank"))
        return errors
    if len(password) < 6:
        errors.append(("password", "Password is too short (minimum is 6 characters)"))
    if len(password) > 128:
        errors.append(("password", "Password is too long (maximum is 128 characters)"))
    # devise-secure_password wording; the counts come from Chatwoot's devise initializer.
    checks = (
        (r"[A-Z]", "Password must contain at least one upper-case letter"),
        (r"[a-z]", "Password must contain at least one lower-case letter"),
        (r"[0-9]", "Password must contain at least one digit"),
        (r"[^A-Za-z0-9]", "Password must contain at least one punctuation mark or symbol"),
    )
    errors.extend(
        ("password", message) for pattern, message in checks if not re.search(pattern, password)
    )
    return errors


def dashboard_app_content_errors(content: Any) -> Errors:
    """DashboardApp#validate_content: a non-empty array of ``{type: "frame", url: http(s)}``."""
    valid = isinstance(content, list) and len(content) > 0
    if valid:
        for item in content:
            if (
                not isinstance(item, dict)
                or item.get("type") != "frame"
                or not isinstance(item.get("url"), str)
                or not re.match(r"https?://", item["url"])
            ):
                valid = False
                break
    return [] if valid else [("content", "Content : Invalid data")]
