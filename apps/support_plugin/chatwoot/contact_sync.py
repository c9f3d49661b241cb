"""Partner -> Chatwoot contact: find-or-create, adopt, update and delete.

Chatwoot has no upsert and refuses duplicate e-mail / phone / identifier with a 422
(NOTES §5), so a contact is looked up before it is created: our stored link first, then a
filter on our identifier, e-mail and phone. A create that still hits "already taken"
(a race, or a lost response of our own earlier create) adopts the existing contact. A
retried delivery therefore never makes a second contact.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from apps.plugin_manager.eventbus.external_refs import find_ref, link, mark_deleted
from apps.plugin_manager.eventbus.models import SyncStatus
from apps.plugin_manager.eventbus.object_refs import object_type_of
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from . import mappers
from .client import ChatwootClient
from .config import SYSTEM
from .errors import ChatwootNotFound, ChatwootValidationError
from .partner_stats import partner_stats

log = logging.getLogger("support_plugin.chatwoot.contacts")

PARTNER_OBJECT_TYPE = object_type_of(Partner)


def _adoptable(candidate: dict[str, Any], identifier: str) -> bool:
    """A contact may be adopted unless it already belongs to someone else's identifier
    (Chatwoot itself never merges contacts with different identifiers, NOTES §11)."""
    theirs = candidate.get("identifier")
    return not theirs or theirs == identifier


def find_existing_contact(client: ChatwootClient, partner: Partner) -> dict[str, Any] | None:
    """The contact that already stands for this partner, by identifier, e-mail, phone."""
    identifier = mappers.identifier_for(partner)
    candidates = client.filter_contacts(mappers.lookup_rules(partner))
    for key, value in mappers.lookup_rules(partner):
        for candidate in candidates:
            stored = candidate.get(key)
            matches = (stored or "").lower() == value.lower() if key == "email" else stored == value
            if matches and _adoptable(candidate, identifier):
                return candidate
    return None


def _without(payload: dict[str, Any], attributes: tuple[str, ...]) -> dict[str, Any]:
    dropped = {a for a in attributes if a in ("email", "phone_number", "identifier")}
    return {k: v for k, v in payload.items() if k not in dropped}


def _write(client: ChatwootClient, contact_id: int | None,
           payload: dict[str, Any]) -> dict[str, Any]:
    """Create (``contact_id`` None) or update. If e-mail or phone belongs to a different
    customer's contact, the rest is still written and the clash is logged: two ERP
    partners may share a family phone, Chatwoot cannot."""
    try:
        if contact_id is None:
            return client.create_contact(payload)
        return client.update_contact(contact_id, payload)
    except ChatwootValidationError as exc:
        reduced = _without(payload, exc.attributes)
        if not exc.already_taken or reduced == payload or "identifier" in exc.attributes:
            raise
        log.warning("chatwoot.contact.attribute-taken attributes=%s partner=%s",
                    ",".join(exc.attributes), payload.get("identifier"))
        if contact_id is None:
            return client.create_contact(reduced)
        return client.update_contact(contact_id, reduced)


def sync_partner_contact(client: ChatwootClient, partner: Partner, tenant: Tenant) -> int:
    """Make the partner's contact exist and match the ERP; returns the contact id."""
    account_id = client.connection.account_id
    payload = mappers.contact_payload(partner, tenant.slug, partner_stats(partner))
    ref = find_ref(SYSTEM, tenant=tenant, obj=partner)
    contact: dict[str, Any] | None = None
    if (ref is not None and ref.external_id and ref.sync_status != SyncStatus.DELETED
            and ref.data.get("account_id") == account_id):
        try:
            contact = _write(client, int(ref.external_id), payload)
        except ChatwootNotFound:
            log.info("chatwoot.contact.gone contact=%s partner=%s: looking it up again",
                     ref.external_id, partner.pk)
    if contact is None:
        existing = find_existing_contact(client, partner)
        if existing is not None:
            log.info("chatwoot.contact.adopted contact=%s partner=%s", existing["id"], partner.pk)
            contact = _write(client, int(existing["id"]), payload)
        else:
            try:
                contact = _write(client, None, payload)
            except ChatwootValidationError as exc:
                # Created meanwhile (a concurrent delivery, or our own create whose response
                # was lost): adopt it.
                adopted = find_existing_contact(client, partner) if exc.already_taken else None
                if adopted is None:
                    raise
                log.info("chatwoot.contact.adopted-after-422 contact=%s partner=%s",
                         adopted["id"], partner.pk)
                contact = _write(client, int(adopted["id"]), payload)
    contact_id = int(contact["id"])
    link(SYSTEM, contact_id, tenant=tenant, obj=partner, data={"account_id": account_id})
    return contact_id


def delete_partner_contact(client: ChatwootClient, tenant: Tenant, partner_id: str,
                           partner: Partner | None) -> int | None:
    """GDPR erasure / deletion: remove the contact; returns its id (None if none existed).

    After an erasure the partner row is anonymised, so the lookup uses only the stored link
    and our identifier, never the (gone) e-mail or phone."""
    ref = find_ref(SYSTEM, tenant=tenant, object_type=PARTNER_OBJECT_TYPE, object_id=partner_id)
    contact_id: int | None = None
    if ref is not None and ref.external_id and ref.sync_status != SyncStatus.DELETED:
        contact_id = int(ref.external_id)
    if contact_id is None:
        found = client.filter_contacts([("identifier", str(partner_id))])
        contact_id = int(found[0]["id"]) if found else None
    if contact_id is not None:
        # Already gone means a retry after a lost response: the goal is reached.
        with contextlib.suppress(ChatwootNotFound):
            client.delete_contact(contact_id)
        log.info("chatwoot.contact.deleted contact=%s partner=%s", contact_id, partner_id)
    if ref is not None:
        mark_deleted(SYSTEM, tenant=tenant, object_type=PARTNER_OBJECT_TYPE,
                     object_id=partner_id)
    return contact_id


def contact_id_for(tenant: Tenant, partner: Partner, account_id: int) -> int | None:
    """The linked contact id, if the partner was synced to this account."""
    ref = find_ref(SYSTEM, tenant=tenant, obj=partner)
    if (ref is None or not ref.external_id or ref.sync_status == SyncStatus.DELETED
            or ref.data.get("account_id") != account_id):
        return None
    return int(ref.external_id)


__all__ = (
    "contact_id_for",
    "delete_partner_contact",
    "find_existing_contact",
    "sync_partner_contact",
)
