"""Contact use cases: create/update/delete with Chatwoot's validations and events, contact
inboxes, and the index/search/filter queries (NOTES §4, §5). Callers hold ``store.lock``."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from . import errors, payloads
from .context import as_bool, as_text
from .events import EventLog, OutgoingEvent
from .models import Contact, ContactInbox, Inbox
from .state import INDEXED_CONTACT_KEYS, Store
from .timestamps import iso, now
from .tokens import new_uuid, secure_token
from .validation import contact_errors

PAGE_SIZE = 15
# ContactsController#permitted_params (avatar uploads are not simulated).
PERMITTED = (
    "name",
    "identifier",
    "email",
    "phone_number",
    "avatar_url",
    "blocked",
    "additional_attributes",
    "custom_attributes",
)
_TRACKED = (
    "name",
    "email",
    "phone_number",
    "identifier",
    "blocked",
    "additional_attributes",
    "custom_attributes",
)


def _assign(contact: Contact, params: dict[str, Any], *, merge_attributes: bool) -> None:
    """Cast and assign permitted params the way ActiveRecord would."""
    for key in params:
        if key not in PERMITTED:
            continue
        value = params[key]
        if key in ("additional_attributes", "custom_attributes"):
            if not isinstance(value, dict):
                continue  # permit(custom_attributes: {}) drops anything but a hash
            current = getattr(contact, key)
            setattr(contact, key, {**current, **value} if merge_attributes else dict(value))
        elif key == "blocked":
            contact.blocked = as_bool(value)
        elif key == "email":
            text = as_text(value)
            # prepare_email_attribute: downcase, blank becomes nil
            contact.email = text.strip().lower() if text and text.strip() else None
        elif key in ("name", "identifier", "phone_number"):
            setattr(contact, key, as_text(value))


def _sync_attributes(contact: Contact) -> None:
    """Contacts::SyncAttributes: city → location, country → country_code."""
    city = contact.additional_attributes.get("city")
    if city:
        contact.location = str(city)
    country = contact.additional_attributes.get("country")
    if country:
        contact.country_code = str(country)


def _tracked(contact: Contact) -> dict[str, Any]:
    return copy.deepcopy({key: getattr(contact, key) for key in _TRACKED})


def _account_contacts(store: Store, account_id: int) -> list[Contact]:
    return [c for c in store.contacts.values() if c.account_id == account_id]


def _uniqueness_peers(store: Store, candidate: Contact) -> list[Contact]:
    """The account's contacts that could clash with ``candidate`` on e-mail, identifier or
    phone, from the exact-match index instead of a scan of every contact. The index folds
    case (identifier) and punctuation (phone), so this is a superset; ``contact_errors``
    still compares the raw values, exactly as before."""
    peers: dict[int, Contact] = {}
    for key in INDEXED_CONTACT_KEYS:
        value = getattr(candidate, key)
        if value:  # contact_errors only checks uniqueness of present values
            for contact in store.contacts_matching(candidate.account_id, key, [value]):
                peers[contact.id] = contact
    return list(peers.values())


def create_contact(
    store: Store,
    events: EventLog,
    account_id: int,
    params: dict[str, Any],
    resolve_inbox: Callable[[], Inbox | None] = lambda: None,
    source_id: str | None = None,
) -> tuple[Contact, ContactInbox | None]:
    """``save!`` first (422 wins), then the optional inbox lookup (404 rolls back)."""
    stamp = now()
    contact = Contact(id=0, account_id=account_id, created_at=stamp, updated_at=stamp)
    _assign(contact, params, merge_attributes=False)
    problems = contact_errors(contact, _uniqueness_peers(store, contact))
    if problems:
        raise errors.record_invalid(problems)
    inbox = resolve_inbox()
    _sync_attributes(contact)
    contact.id = store.next_id("contact")
    store.save_contact(contact)
    contact_inbox = ensure_contact_inbox(store, contact, inbox, source_id) if inbox else None
    events.append(
        OutgoingEvent(
            account_id,
            "contact_created",
            payloads.with_event(payloads.contact_data(store, contact), "contact_created"),
        )
    )
    return contact, contact_inbox


def update_contact(
    store: Store, events: EventLog, contact: Contact, params: dict[str, Any]
) -> Contact:
    """PUT/PATCH: custom/additional attributes are shallow-merged, never dropped."""
    candidate = copy.deepcopy(contact)
    _assign(candidate, params, merge_attributes=True)
    problems = contact_errors(candidate, _uniqueness_peers(store, candidate))
    if problems:
        raise errors.record_invalid(problems)
    before = _tracked(contact)
    synced_before = {"location": contact.location, "country_code": contact.country_code}
    _sync_attributes(candidate)
    after = _tracked(candidate)
    changed = payloads.changes(before, after)
    if not changed:
        return contact  # nothing changed: no save, no contact_updated
    previous_update = contact.updated_at
    candidate.updated_at = now()
    store.save_contact(candidate)
    changed.append(payloads.updated_at_change(previous_update, candidate.updated_at))
    changed.extend(
        payloads.changes(
            synced_before,
            {"location": candidate.location, "country_code": candidate.country_code},
        )
    )
    _emit_updated(store, events, candidate, changed)
    return candidate


def touch_activity(store: Store, events: EventLog, contact: Contact, at: float) -> None:
    """Incoming messages bump last_activity_at, which fires contact_updated (NOTES §10.3)."""
    previous_activity, previous_update = contact.last_activity_at, contact.updated_at
    contact.last_activity_at = at
    contact.updated_at = now()
    changed = [
        {"last_activity_at": {"previous_value": iso(previous_activity), "current_value": iso(at)}},
        payloads.updated_at_change(previous_update, contact.updated_at),
    ]
    _emit_updated(store, events, contact, changed)


def _emit_updated(
    store: Store, events: EventLog, contact: Contact, changed: payloads.ChangedAttributes
) -> None:
    payload = payloads.with_event(
        payloads.contact_data(store, contact), "contact_updated", changed, include_changed=True
    )
    events.append(OutgoingEvent(contact.account_id, "contact_updated", payload))


def delete_contact(store: Store, contact: Contact) -> None:
    """Destroys the contact with its contact inboxes, conversations and their messages."""
    conversation_ids = {c.id for c in store.conversations.values() if c.contact_id == contact.id}
    for message_id in [
        m.id for m in store.messages.values() if m.conversation_id in conversation_ids
    ]:
        del store.messages[message_id]
    for conversation_id in conversation_ids:
        del store.conversations[conversation_id]
    for contact_inbox in store.contact_inboxes_of(contact.id):
        del store.contact_inboxes[contact_inbox.id]
    store.remove_contact(contact.id)


def ensure_contact_inbox(
    store: Store, contact: Contact, inbox: Inbox, source_id: str | None
) -> ContactInbox:
    """ContactInboxBuilder for API and web-widget inboxes.

    Without a source_id a new random uuid is generated every time, so every call creates a
    new contact inbox. A source_id already used by another contact in the inbox is moved
    away from that contact (``update_old_contact_inbox``) before the new row is created.
    """
    source = source_id or new_uuid()
    for existing in store.contact_inboxes.values():
        if existing.inbox_id == inbox.id and existing.source_id == source:
            if existing.contact_id == contact.id:
                return existing
            existing.source_id = new_uuid()
            existing.updated_at = now()
    stamp = now()
    row = ContactInbox(
        id=store.next_id("contact_inbox"),
        contact_id=contact.id,
        inbox_id=inbox.id,
        source_id=source,
        pubsub_token=secure_token(),
        created_at=stamp,
        updated_at=stamp,
    )
    store.contact_inboxes[row.id] = row
    return row


# -- queries ---------------------------------------------------------------------------------


def is_resolved(contact: Contact) -> bool:
    return bool(contact.email or contact.phone_number or contact.identifier)


def resolved(store: Store, account_id: int) -> list[Contact]:
    """Index/search/filter only list contacts with an email, phone or identifier."""
    return [c for c in _account_contacts(store, account_id) if is_resolved(c)]


_SORTS: dict[str, Callable[[Contact], Any]] = {
    "email": lambda c: (c.email or "").lower(),
    "name": lambda c: (c.name or "").lower(),
    "phone_number": lambda c: c.phone_number or "",
    "last_activity_at": lambda c: c.last_activity_at or 0.0,
    "created_at": lambda c: c.created_at,
    "company_name": lambda c: str(c.additional_attributes.get("company_name") or ""),
    "city": lambda c: str(c.additional_attributes.get("city") or ""),
    "country": lambda c: str(c.additional_attributes.get("country") or ""),
}


def sort_contacts(contacts: list[Contact], sort: str | None) -> list[Contact]:
    """``sort`` param (``-`` prefix = descending); default last_activity_at desc,
    never-active contacts last, newest first among equals."""
    ordered = sorted(contacts, key=lambda c: c.id, reverse=True)
    if not sort:
        active = [c for c in ordered if c.last_activity_at is not None]
        idle = [c for c in ordered if c.last_activity_at is None]
        return sorted(active, key=_SORTS["last_activity_at"], reverse=True) + idle
    key = sort.lstrip("-")
    if key not in _SORTS:
        return ordered
    return sorted(ordered, key=_SORTS[key], reverse=sort.startswith("-"))


def _like(pattern: str, *, case_sensitive: bool) -> re.Pattern[str]:
    """SQL LIKE/ILIKE ``%pattern%``: ``%`` and ``_`` in the user's text stay wildcards."""
    translated = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern
    )
    return re.compile(translated, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def search(store: Store, account_id: int, query: str) -> list[Contact]:
    """name/email/phone ILIKE %q%, identifier LIKE %q% (case-sensitive)."""
    text = query.strip()
    insensitive = _like(text, case_sensitive=False)
    sensitive = _like(text, case_sensitive=True)
    return [
        c
        for c in resolved(store, account_id)
        if any(insensitive.search(v) for v in (c.name, c.email, c.phone_number) if v)
        or (c.identifier and sensitive.search(c.identifier))
    ]


def page(items: list[Any], page_param: Any) -> tuple[list[Any], int]:
    """15 per page; a missing/invalid page is page 1."""
    try:
        number = max(int(page_param), 1)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    return items[start : start + PAGE_SIZE], number
