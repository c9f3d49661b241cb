"""Naming and option rules Twenty enforces on objects and fields (NOTES section 5)."""

from __future__ import annotations

import re

from sandboxes.twenty.model import camel_case

IDENTIFIER_MAX_CHAR_LENGTH = 63

INVALID_NAME_MESSAGE = (
    "Name is not valid: it must start with lowercase letter and contain only alphanumeric letters"
)
RESERVED_NAME_MESSAGE = (
    'This name is reserved. Use a different name or the system will add "Custom" suffix.'
)
IDENTICAL_NAMES_MESSAGE = "The singular and plural names cannot be the same for an object"
OPTION_VALUE_MESSAGE = "Value must be in UPPER_CASE and follow snake_case"

_NAME_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_OPTION_VALUE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")

# reserved-metadata-name-keywords.constant.ts (the subset NOTES lists).
RESERVED_NAMES = frozenset(
    {
        "event", "events", "field", "fields", "link", "links", "currency", "currencies",
        "fullNames", "address", "addresses", "type", "types", "object", "objects", "index",
        "relation", "relations", "aggregate", "plan", "plans", "user", "users", "workspace",
        "workspaces", "role", "roles", "job", "jobs", "featureFlag", "featureFlags",
        "appToken", "appTokens", "billingCustomer", "billingCustomers", "billingEntitlement",
        "billingEntitlements", "billingMeter", "billingMeters", "billingProduct",
        "billingProducts", "billingPrice", "billingPrices", "billingSubscription",
        "billingSubscriptions", "billingSubscriptionItem", "billingSubscriptionItems",
        "pageLayout", "pageLayouts", "pageLayoutTab", "pageLayoutTabs", "pageLayoutWidget",
        "pageLayoutWidgets",
    }
)  # fmt: skip


def name_errors(name: str) -> list[str]:
    """Messages of Twenty's name validators for one (already trimmed) name."""
    errors: list[str] = []
    if len(name) < 1:
        errors.append("Name is too short")
    if len(name) > IDENTIFIER_MAX_CHAR_LENGTH:
        errors.append("Name is too long")
    if not _NAME_PATTERN.match(name) or camel_case(name) != name:
        errors.append(INVALID_NAME_MESSAGE)
    if name in RESERVED_NAMES:
        errors.append(RESERVED_NAME_MESSAGE)
    return errors


def label_errors(label: str) -> list[str]:
    if len(label) > IDENTIFIER_MAX_CHAR_LENGTH:
        return ["Label exceeds 63 characters"]
    if not label.strip():
        return ["Label cannot be empty"]
    return []


def option_value_is_valid(value: object) -> bool:
    return isinstance(value, str) and bool(_OPTION_VALUE_PATTERN.match(value))


def unquote_sql_literal(value: object) -> object:
    """SELECT/CURRENCY defaults are quoted SQL literals ("'GOOD'"); return the bare value."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value
