"""The requester of a ticket: the partner behind a Chatwoot contact (or the contact itself
when no partner is known) as a GLPI User, or a Contact when the settings say so.

Found before it is created, so a lost response or a retry never makes a second one: our
stored link first, then our id in ``registration_number`` (the User's login is the same
id), then the e-mail address, then the phone. A create that still meets "already exists"
adopts the user with our login.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apps.plugin_manager.eventbus.external_refs import find_ref, link
from apps.plugin_manager.eventbus.models import SyncStatus
from apps.plugin_manager.privacy.tombstones import is_tombstoned, partner_erased, refused
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from . import mappers
from .client import GlpiClient, require_int
from .config import SYSTEM, GlpiSettings
from .errors import GlpiRequestError
from .event_types import ContactInfo

log = logging.getLogger("support_plugin.glpi.requester")

CONTACT_OBJECT_TYPE = "chatwoot.contact"


@dataclass(frozen=True)
class Requester:
    kind: str  # "user" | "contact"
    id: int
    email: str | None


def _person(partner: Partner | None, account_id: int,
            contact: ContactInfo) -> mappers.Person | None:
    if partner is not None:
        return mappers.Person(ref=f"p{partner.pk}", name=partner.name,
                              email=partner.email or contact.get("email") or None,
                              phone=partner.phone or contact.get("phone_number") or None)
    return mappers.person_from_contact(account_id, contact)


def _lookup(client: GlpiClient, kind: str, person: mappers.Person) -> int | None:
    itemtype = "User" if kind == "user" else "Contact"
    for row in client.find_by_text(itemtype, "registration_number", person.login):
        return require_int(row, "id", f"{itemtype} lookup")
    if kind == "user":
        for row in client.find_by_text("User", "name", person.login):
            return require_int(row, "id", "User lookup")
        if person.email:
            for row in client.find_by_text("UserEmail", "email", person.email):
                return require_int(row, "users_id", "UserEmail lookup")
    elif person.email:
        for row in client.find_by_text("Contact", "email", person.email):
            return require_int(row, "id", "Contact lookup")
    if person.phone:
        for row in client.find_by_text(itemtype, "mobile", person.phone):
            return require_int(row, "id", f"{itemtype} lookup")
        for row in client.find_by_text(itemtype, "phone", person.phone):
            return require_int(row, "id", f"{itemtype} lookup")
    return None


def _create(client: GlpiClient, kind: str, person: mappers.Person,
            settings: GlpiSettings) -> int:
    if kind == "contact":
        return client.create_item("Contact", mappers.contact_input(person, settings.entity_id))
    try:
        return client.create_item("User", mappers.user_input(person, settings.entity_id))
    except GlpiRequestError as exc:
        # "Unable to add. The user already exists.": our own earlier create whose answer
        # was lost, or a concurrent delivery. Our login names it.
        found = client.find_by_text("User", "name", person.login)
        if not found:
            raise
        log.info("glpi.requester.adopted-after-duplicate login=%s: %s", person.login, exc)
        return require_int(found[0], "id", "User lookup")


def ensure_requester(client: GlpiClient, settings: GlpiSettings, tenant: Tenant, *,
                     partner: Partner | None, account_id: int,
                     contact: ContactInfo) -> Requester | None:
    """The GLPI requester of this partner / contact, created when missing; None when we
    know nothing about the person."""
    person = _person(partner, account_id, contact)
    if person is None:
        return None
    # An erased person is not created in GLPI again (privacy tombstone): the ticket is
    # opened without a requester.
    if (partner is not None and partner_erased(partner.pk)) or is_tombstoned(
            tenant, phone=person.phone or "", email=person.email or ""):
        refused("glpi.requester", tenant, f"requester {person.ref}")
        return None
    kind = settings.requester_kind
    # The link hangs on the partner, or on the Chatwoot contact when no partner is known.
    object_type = None if partner is not None else CONTACT_OBJECT_TYPE
    object_id = None if partner is not None else person.ref[1:]
    ref = find_ref(SYSTEM, tenant=tenant, obj=partner, object_type=object_type,
                   object_id=object_id)
    if (ref is not None and ref.external_id and ref.sync_status != SyncStatus.DELETED
            and ref.data.get("kind") == kind):
        return Requester(kind, int(ref.external_id), person.email)
    found = _lookup(client, kind, person)
    requester_id = found if found is not None else _create(client, kind, person, settings)
    if found is not None:
        log.info("glpi.requester.adopted kind=%s id=%s ref=%s", kind, found, person.ref)
    link(SYSTEM, requester_id, tenant=tenant, obj=partner, object_type=object_type,
         object_id=object_id, data={"kind": kind})
    return Requester(kind, requester_id, person.email)


__all__ = ("CONTACT_OBJECT_TYPE", "Requester", "ensure_requester")
