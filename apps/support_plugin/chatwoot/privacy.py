"""The Chatwoot part of data-subject requests (declared in the support plugin's manifest
``privacy_handlers``; protocol: apps.plugin_manager.privacy.handlers).

Export: the contact, its conversations and their messages, read live. Erasure: the
existing ``delete_partner_contact`` (link, then our identifier), plus any contact still
carrying the person's phone or e-mail without someone else's identifier; then every
candidate is read back and must answer 404.
"""

from __future__ import annotations

import contextlib
from typing import Any

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError
from apps.plugin_manager.eventbus.external_refs import find_ref
from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed

from .client import ChatwootClient
from .config import SYSTEM, settings_for
from .contact_sync import PARTNER_OBJECT_TYPE, delete_partner_contact
from .errors import ChatwootNotFound


def _client(subject: PrivacySubject) -> ChatwootClient:
    settings = settings_for(subject.tenant, subject.settings)
    if not settings.is_configured:
        raise PermanentDeliveryError(f"Chatwoot is not configured for tenant {subject.tenant.slug}")
    return settings.client()


def _candidate_ids(client: ChatwootClient, subject: PrivacySubject, *,
                   with_link: bool = True) -> list[int]:
    """Contacts that stand for the person: our link (even one already marked deleted), our
    identifier, and contacts with the phone / e-mail that carry no other identifier."""
    ids: list[int] = []
    if with_link and subject.partner_id is not None:
        ref = find_ref(SYSTEM, tenant=subject.tenant, object_type=PARTNER_OBJECT_TYPE,
                       object_id=str(subject.partner_id))
        if ref is not None and ref.external_id:
            ids.append(int(ref.external_id))
    rules: list[tuple[str, str]] = []
    if subject.partner_id is not None:
        rules.append(("identifier", str(subject.partner_id)))
    if subject.email:
        rules.append(("email", subject.email))
    if subject.phone:
        rules.append(("phone_number", subject.phone))
    for rule in rules:
        for contact in client.filter_contacts([rule]):
            theirs = contact.get("identifier")
            if rule[0] == "identifier" or not theirs or theirs == str(subject.partner_id):
                ids.append(int(contact["id"]))
    return list(dict.fromkeys(ids))


class ChatwootPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        client = _client(subject)
        contacts: list[dict[str, Any]] = []
        for contact_id in _candidate_ids(client, subject):
            try:
                contact = client.get_contact(contact_id)
            except ChatwootNotFound:
                continue
            conversations = []
            for conversation in client.contact_conversations(contact_id):
                display_id = int(conversation["id"])
                conversations.append({**conversation,
                                      "messages": client.list_messages(display_id)})
            contacts.append({"contact": contact, "conversations": conversations})
        return {"source": "Chatwoot", "account_id": client.connection.account_id,
                "contacts": contacts}

    def erase(self, subject: PrivacySubject) -> Receipt:
        client = _client(subject)
        candidates = _candidate_ids(client, subject)
        if subject.partner_id is not None:
            delete_partner_contact(client, subject.tenant, str(subject.partner_id), None)
        for contact_id in candidates:
            # Already gone: a retry after a lost response, or partner.deleted got there first.
            with contextlib.suppress(ChatwootNotFound):
                client.delete_contact(contact_id)
        evidence: list[str] = []
        for contact_id in candidates:
            try:
                client.get_contact(contact_id)
            except ChatwootNotFound:
                evidence.append(f"GET /contacts/{contact_id} -> 404")
                continue
            raise VerificationFailed(f"contact {contact_id} still answers after DELETE")
        # Searched again by identifier, e-mail and phone: nothing may answer any more.
        if _candidate_ids(client, subject, with_link=False):
            raise VerificationFailed("a contact with the person's data is still found")
        if not candidates:
            return Receipt("nothing_held", "no contact found by link, identifier, phone or "
                                           "e-mail")
        return Receipt("deleted", "; ".join(evidence),
                       external_id=",".join(str(c) for c in candidates))


__all__ = ("ChatwootPrivacyHandler",)
