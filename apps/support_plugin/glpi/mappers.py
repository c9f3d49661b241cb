"""Pure functions: Chatwoot conversation / message / contact -> GLPI input, and the markers
that let us find what we wrote (NOTES §4: ``searchText`` is a LIKE, so markers hold no
``%`` or ``_`` and end with ``]`` so one id never matches a longer one)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .classification import Classification
from .event_types import ContactInfo

TITLE_LENGTH = 70  # GLPI builds a missing title from the first 70 characters too

# GLPI ticket statuses (NOTES §5).
NEW, ASSIGNED, PLANNED, WAITING, SOLVED, CLOSED = 1, 2, 3, 4, 5, 6
STATUS_LABELS = {
    NEW: "Új",
    ASSIGNED: "Folyamatban (hozzárendelve)",
    PLANNED: "Folyamatban (tervezett)",
    WAITING: "Függőben",
    SOLVED: "Megoldva",
    CLOSED: "Lezárva",
}


def ticket_marker(account_id: int, conversation_id: int) -> str:
    return f"[kgc-cw-{int(account_id)}-c{int(conversation_id)}]"


def message_marker(account_id: int, message_id: int) -> str:
    return f"[kgc-cw-{int(account_id)}-m{int(message_id)}]"


def requester_marker(ref: str) -> str:
    """Our id of a requester, kept in GLPI's ``registration_number`` (searchable)."""
    return f"kgc-{ref}"


def as_html(text: str) -> str:
    """Plain chat text as GLPI rich text: escaped, line breaks kept."""
    return "<br>".join(html.escape(line) for line in text.strip().splitlines()) or "-"


def title_from(text: str, conversation_id: int) -> str:
    line = " ".join(text.split())
    if not line:
        return f"Chatwoot beszélgetés #{conversation_id}"
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def ticket_input(*, account_id: int, conversation_id: int, first_message: str,
                 classification: Classification, entity_id: int | None,
                 requester_user_id: int | None, requester_email: str | None) -> dict[str, object]:
    """``POST Ticket/`` input (NOTES §5; ``requesttypes_id`` omitted: the default source)."""
    body = (f"<p>{as_html(first_message)}</p>"
            f"<p>Chatwoot beszélgetés #{conversation_id} "
            f"{ticket_marker(account_id, conversation_id)}</p>")
    fields: dict[str, object] = {
        "name": title_from(first_message, conversation_id),
        "content": body,
        "type": classification.type,
        "urgency": classification.urgency,
    }
    if classification.category_id:
        fields["itilcategories_id"] = classification.category_id
    if entity_id is not None:
        fields["entities_id"] = entity_id
    if requester_user_id:
        fields["_users_id_requester"] = requester_user_id
    elif requester_email:
        # A Contact cannot be a requester (NOTES §5): the e-mail address stands in.
        fields["_users_id_requester"] = 0
        fields["_users_id_requester_notif"] = {"use_notification": [1],
                                               "alternative_email": [requester_email]}
    return fields


SENDER_LABELS = {"contact": "Ügyfél", "agent": "Ügyintéző", "bot": "Bot"}


def followup_input(*, ticket_id: int, account_id: int, message_id: int, content: str,
                   sender_type: str, private: bool) -> dict[str, object]:
    """``POST ITILFollowup/`` input; the marker footer makes a retry find it."""
    who = SENDER_LABELS.get(sender_type, "Chatwoot")
    body = (f"<p>{as_html(content)}</p>"
            f"<p>{who} (Chatwoot) {message_marker(account_id, message_id)}</p>")
    return {"itemtype": "Ticket", "items_id": int(ticket_id), "content": body,
            "is_private": 1 if private else 0}


@dataclass(frozen=True)
class Person:
    """Who a requester is, from the ERP partner or else the Chatwoot contact."""

    ref: str  # "p<partner id>" or "c<account>-<contact id>"
    name: str
    email: str | None
    phone: str | None

    @property
    def login(self) -> str:
        return requester_marker(self.ref)

    @property
    def last_first(self) -> tuple[str, str]:
        parts = self.name.split()
        # Hungarian order: family name first.
        return (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (self.name or "-", "")


def person_from_contact(account_id: int, contact: ContactInfo) -> Person | None:
    contact_id = contact.get("id")
    if not isinstance(contact_id, int):
        return None
    return Person(ref=f"c{account_id}-{contact_id}", name=str(contact.get("name") or ""),
                  email=contact.get("email") or None, phone=contact.get("phone_number") or None)


def user_input(person: Person, entity_id: int | None) -> dict[str, object]:
    last, first = person.last_first
    fields: dict[str, object] = {"name": person.login, "realname": last, "firstname": first,
                                 "registration_number": person.login, "is_active": 1}
    if person.phone:
        fields["mobile"] = person.phone
    if person.email:
        fields["_useremails"] = {"-1": person.email}
        fields["_default_email"] = -1
    if entity_id is not None:
        fields["entities_id"] = entity_id
    return fields


def contact_input(person: Person, entity_id: int | None) -> dict[str, object]:
    last, first = person.last_first
    fields: dict[str, object] = {"name": last, "firstname": first,
                                 "registration_number": person.login}
    if person.phone:
        fields["mobile"] = person.phone
    if person.email:
        fields["email"] = person.email
    if entity_id is not None:
        fields["entities_id"] = entity_id
    return fields


def chatwoot_text_from_html(content: str) -> str:
    """A GLPI followup's rich text as chat text (tags dropped, entities decoded)."""
    text = re.sub(r"(?i)<br\s*/?>|</p>", "\n", content)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()


def technician_message(ticket_id: int, content: str) -> str:
    return f"{chatwoot_text_from_html(content)}\n\n(GLPI jegy #{ticket_id})"


def status_note(ticket_id: int, old: int, new: int) -> str:
    return (f"GLPI jegy #{ticket_id} állapota megváltozott: "
            f"{STATUS_LABELS.get(old, str(old))} → {STATUS_LABELS.get(new, str(new))}")


__all__ = (
    "STATUS_LABELS",
    "Person",
    "as_html",
    "chatwoot_text_from_html",
    "contact_input",
    "followup_input",
    "message_marker",
    "person_from_contact",
    "requester_marker",
    "status_note",
    "technician_message",
    "ticket_input",
    "ticket_marker",
    "title_from",
    "user_input",
)
