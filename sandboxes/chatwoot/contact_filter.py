"""``POST /contacts/filter`` (NOTES §5): validation of the filter payload with Chatwoot's
error texts, then evaluation with SQL precedence (AND binds tighter than OR).

Custom-attribute filters need a contact attribute definition, which the sandbox does not
simulate, so they are rejected as unknown keys.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import errors
from .models import Contact
from .state import INDEXED_CONTACT_KEYS, Store, lookup_value

_TEXT_OPERATORS = (
    "equal_to",
    "not_equal_to",
    "contains",
    "does_not_contain",
    "is_present",
    "is_not_present",
)
_DATE_OPERATORS = ("is_greater_than", "is_less_than", "days_before")
# lib/filters/filter_keys.yml (contacts): key → allowed operators.
OPERATORS: dict[str, tuple[str, ...]] = {
    "name": _TEXT_OPERATORS,
    "phone_number": (*_TEXT_OPERATORS, "starts_with"),
    "email": _TEXT_OPERATORS,
    "identifier": ("equal_to", "not_equal_to"),
    "country_code": ("equal_to", "not_equal_to"),
    "city": _TEXT_OPERATORS,
    "company_name": _TEXT_OPERATORS,
    "labels": ("equal_to", "not_equal_to", "is_present", "is_not_present"),
    "created_at": _DATE_OPERATORS,
    "last_activity_at": _DATE_OPERATORS,
    "blocked": ("equal_to", "not_equal_to"),
}
_ADDITIONAL = ("country_code", "city", "company_name")


def _invalid_attribute(key: Any) -> errors.ApiError:
    return errors.unprocessable(
        f"Invalid attribute key - [{key}]. The key should be one of "
        f"[{', '.join(OPERATORS)}] or a custom attribute defined in the account."
    )


def validate(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, list) or not all(isinstance(i, dict) for i in payload):
        raise errors.internal_error()  # FilterService iterates whatever it got: NoMethodError
    for index, item in enumerate(payload):
        last = index == len(payload) - 1
        query_operator = item.get("query_operator")
        if last and query_operator not in (None, ""):
            raise errors.unprocessable('Query operator must be either "AND" or "OR".')
        if not last and str(query_operator or "").upper() not in ("AND", "OR"):
            raise errors.unprocessable('Query operator must be either "AND" or "OR".')
        key = item.get("attribute_key")
        if key not in OPERATORS:
            raise _invalid_attribute(key)
        operator = item.get("filter_operator")
        if operator not in OPERATORS[key]:
            raise errors.unprocessable(
                f"Invalid operator. The allowed operators for {key} are "
                f"[{', '.join(OPERATORS[key])}]."
            )
        values = item.get("values")
        needs_values = operator not in ("is_present", "is_not_present")
        if needs_values and (not isinstance(values, list) or not values):
            raise errors.unprocessable(f"Invalid value. The values provided for {key} are invalid")
    return payload


def _normalise(key: str, value: Any) -> str:
    # One definition shared with the store's contact index, so index hits == scan hits.
    return lookup_value(key, value)


def _field(contact: Contact, key: str) -> Any:
    if key in _ADDITIONAL:
        return contact.additional_attributes.get(key)
    if key == "labels":
        return []
    return getattr(contact, key)


def _date_value(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def _matches(contact: Contact, item: dict[str, Any]) -> bool:
    key, operator = item["attribute_key"], item["filter_operator"]
    values = item.get("values") or []
    current = _field(contact, key)
    if operator == "is_present":
        return bool(current)
    if operator == "is_not_present":
        return not current
    if key == "blocked":
        wanted = {str(v).lower() in ("true", "1", "t") for v in values}
        return (contact.blocked in wanted) == (operator == "equal_to")
    if key in ("created_at", "last_activity_at"):
        return _date_matches(current, operator, values)
    text = _normalise(key, current) if current is not None else None
    wanted = [_normalise(key, v) for v in values]
    if operator == "equal_to":
        return text in wanted
    if operator == "not_equal_to":
        return text not in wanted
    if operator == "contains":
        return text is not None and any(w in text for w in wanted)
    if operator == "does_not_contain":
        return text is None or not any(w in text for w in wanted)
    if operator == "starts_with":
        return text is not None and any(text.startswith(w) for w in wanted)
    return False


def _date_matches(current: float | None, operator: str, values: list[Any]) -> bool:
    if current is None:
        return False
    day = datetime.fromtimestamp(current, UTC).date()
    if operator == "days_before":
        try:
            days = int(values[0])
        except (TypeError, ValueError):
            return False
        return day < datetime.now(UTC).date() - timedelta(days=days)
    bound = _date_value(values[0])
    if bound is None:
        return False
    return day > bound if operator == "is_greater_than" else day < bound


def _groups(payload: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """OR of AND-groups, the precedence of the SQL Chatwoot generates."""
    groups: list[list[dict[str, Any]]] = [[]]
    for item in payload:
        groups[-1].append(item)
        if str(item.get("query_operator") or "").upper() == "OR":
            groups.append([])
    return [g for g in groups if g]


def indexed_candidates(
    store: Store, account_id: int, payload: list[dict[str, Any]]
) -> list[Contact] | None:
    """A superset of the contacts ``payload`` can match, from the store's exact-match index,
    or None when some OR-group has no ``equal_to`` on an indexed key (then only a full scan
    is correct). Each group contributes the index hits of one such condition; ``apply``
    still evaluates the whole payload on the result, so the outcome equals a full scan."""
    found: dict[int, Contact] = {}
    for group in _groups(payload):
        item = next(
            (
                i
                for i in group
                if i["attribute_key"] in INDEXED_CONTACT_KEYS and i["filter_operator"] == "equal_to"
            ),
            None,
        )
        if item is None:
            return None
        for contact in store.contacts_matching(account_id, item["attribute_key"], item["values"]):
            found[contact.id] = contact
    return list(found.values())


def apply(contacts: list[Contact], payload: list[dict[str, Any]]) -> list[Contact]:
    """OR of AND-groups, the precedence of the SQL Chatwoot generates."""
    groups = _groups(payload)
    return [c for c in contacts if any(all(_matches(c, i) for i in g) for g in groups)]
