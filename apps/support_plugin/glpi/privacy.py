"""GLPI's part of a data-subject request (the manifest's ``privacy_handlers``).

What GLPI holds about a person: the requester we created (a User with its e-mail
addresses, or a Contact, per the ``glpi_requester_kind`` setting), the tickets they
requested (the first message in the content) and every followup on them (the customer's
and the agents' messages). Found from our links (the requester's ExternalRef, the ticket
links), then by our marker login, the e-mail and the phone; a requester carrying another
partner's marker is never touched (two partners may share a family phone).

Erasure purges (``force_purge=true``: a plain DELETE only moves tickets and users to
GLPI's trash, NOTES §4) the tickets first (their followups and actor rows go with them),
then the requester; then every purged id is read back (404) and the lookups by marker,
e-mail and phone are run again. The ERP keeps the ticket links (ids only, so a late
Chatwoot event never opens a second ticket) with their error texts cleared, and the
requester links are marked deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from apps.plugin_manager.eventbus.external_refs import mark_deleted
from apps.plugin_manager.eventbus.models import ExternalRef, SyncStatus
from apps.plugin_manager.eventbus.object_refs import object_type_of
from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed
from kgc_erp.partners.models import Partner

from . import mappers
from .client import GlpiClient, require_int
from .config import SYSTEM, from_settings
from .errors import GlpiNotFound
from .models import GlpiTicketLink
from .requester import CONTACT_OBJECT_TYPE

PARTNER_OBJECT_TYPE = object_type_of(Partner)
MARKER_PREFIX = "kgc-p"
REQUESTER_TYPE = 1  # Ticket_User.type: requester


@dataclass
class Found:
    users: set[int] = field(default_factory=set)
    contacts: set[int] = field(default_factory=set)
    tickets: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.users or self.contacts or self.tickets)


def _refs(subject: PrivacySubject) -> list[ExternalRef]:
    """Our requester links: on the partner, or on a Chatwoot contact of the partner."""
    if subject.partner_id is None:
        return []
    where = Q(object_type=PARTNER_OBJECT_TYPE, object_id=str(subject.partner_id))
    contact_ids = ExternalRef.objects.filter(
        tenant=subject.tenant, system="chatwoot", object_type=PARTNER_OBJECT_TYPE,
        object_id=str(subject.partner_id)).exclude(external_id="").values_list(
        "external_id", flat=True)
    for contact_id in contact_ids:
        where |= Q(object_type=CONTACT_OBJECT_TYPE, object_id__endswith=f"-{contact_id}")
    return list(ExternalRef.objects.filter(where, tenant=subject.tenant, system=SYSTEM))


def _own_marker(subject: PrivacySubject) -> str:
    return mappers.requester_marker(f"p{subject.partner_id}") if subject.partner_id else ""


def _someone_elses(row: dict[str, object], subject: PrivacySubject) -> bool:
    marker = str(row.get("registration_number") or "")
    return marker.startswith(MARKER_PREFIX) and marker != _own_marker(subject)


def _lookups(client: GlpiClient, subject: PrivacySubject, found: Found) -> None:
    """By our marker, the e-mail and the phone (both requester kinds: the setting may
    have changed since the person was created)."""
    marker = _own_marker(subject)
    candidates: list[tuple[str, dict[str, object]]] = []
    if marker:
        for column in ("name", "registration_number"):
            candidates += [("User", r) for r in client.find_by_text("User", column, marker)]
        candidates += [("Contact", r) for r in
                       client.find_by_text("Contact", "registration_number", marker)]
    if subject.email:
        for row in client.find_by_text("UserEmail", "email", subject.email):
            user_id = require_int(row, "users_id", "UserEmail lookup")
            try:
                candidates.append(("User", client.get_item("User", user_id)))
            except GlpiNotFound:
                continue
        candidates += [("Contact", r) for r in client.find_by_text("Contact", "email",
                                                                   subject.email)]
    if subject.phone:
        for itemtype in ("User", "Contact"):
            for column in ("mobile", "phone", "phone2"):
                candidates += [(itemtype, r) for r in
                               client.find_by_text(itemtype, column, subject.phone)]
    for itemtype, row in candidates:
        if _someone_elses(row, subject):
            continue
        item_id = require_int(row, "id", f"{itemtype} lookup")
        (found.users if itemtype == "User" else found.contacts).add(item_id)


def _find(client: GlpiClient, subject: PrivacySubject) -> Found:
    found = Found()
    for ref in _refs(subject):
        if ref.external_id and ref.sync_status != SyncStatus.DELETED:
            kind = ref.data.get("kind", "user")
            (found.contacts if kind == "contact" else found.users).add(int(ref.external_id))
    _lookups(client, subject, found)
    # Tickets of a User requester are confirmed by GLPI's actor rows below; a Contact
    # cannot be a requester (NOTES §5), so its tickets are known from our links only (the
    # numeric id alone could be a User's: GLPI's actor rows must not name such a user).
    for link in GlpiTicketLink.objects.filter(tenant=subject.tenant,
                                              requester_id__in=found.contacts,
                                              ticket_id__isnull=False):
        ticket_id = int(link.ticket_id or 0)
        try:
            actors = client.list_all(f"Ticket/{ticket_id}/Ticket_User")
        except GlpiNotFound:
            continue  # purged already (an earlier attempt of this step)
        if not any(a.get("users_id") == link.requester_id and a.get("type") == REQUESTER_TYPE
                   for a in actors):
            found.tickets.add(ticket_id)
    for user_id in found.users:
        for row in client.find_by_text("Ticket_User", "users_id", str(user_id)):
            if row.get("type") == REQUESTER_TYPE:
                found.tickets.add(require_int(row, "tickets_id", "Ticket_User lookup"))
    if subject.email:
        for row in client.find_by_text("Ticket_User", "alternative_email", subject.email):
            found.tickets.add(require_int(row, "tickets_id", "Ticket_User lookup"))
    return found


def _client(subject: PrivacySubject) -> GlpiClient:
    return from_settings(subject.settings).client(subject.tenant.pk)


def _gone(client: GlpiClient, itemtype: str, item_id: int) -> bool:
    try:
        client.get_item(itemtype, item_id)
    except GlpiNotFound:
        return True
    return False


class GlpiPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        client = _client(subject)
        found = _find(client, subject)
        users = []
        for user_id in sorted(found.users):
            user = client.get_item("User", user_id)
            user["emails"] = client.list_all(f"User/{user_id}/UserEmail")
            users.append(user)
        tickets = []
        for ticket_id in sorted(found.tickets):
            ticket = client.get_item("Ticket", ticket_id)
            ticket["followups"] = client.list_all(f"Ticket/{ticket_id}/ITILFollowup",
                                                  params={"sort": "id", "order": "ASC"})
            tickets.append(ticket)
        return {"users": users,
                "contacts": [client.get_item("Contact", c) for c in sorted(found.contacts)],
                "tickets": tickets}

    def erase(self, subject: PrivacySubject) -> Receipt:
        client = _client(subject)
        found = _find(client, subject)
        purged: list[str] = []
        # Tickets first: purging a requester first would leave its tickets without one.
        for itemtype, ids in (("Ticket", found.tickets), ("User", found.users),
                              ("Contact", found.contacts)):
            for item_id in sorted(ids):
                client.purge_item(itemtype, item_id)
                purged.append(f"{itemtype}/{item_id}")
        left = [p for p in purged if not _gone(client, *_split(p))]
        again = Found()
        _lookups(client, subject, again)
        if left or again.users or again.contacts:
            raise VerificationFailed(
                f"GLPI still holds {', '.join(left) or 'nothing purged'}; lookups found "
                f"{len(again.users)} users, {len(again.contacts)} contacts")
        GlpiTicketLink.objects.filter(tenant=subject.tenant,
                                      ticket_id__in=found.tickets).update(last_error="")
        for ref in _refs(subject):
            mark_deleted(SYSTEM, tenant=subject.tenant, object_type=ref.object_type,
                         object_id=ref.object_id)
        if not purged:
            return Receipt("nothing_held", "no requester or ticket found by link, marker, "
                                           "e-mail or phone")
        return Receipt("deleted",
                       f"purged {', '.join(purged)}; GET of each -> 404; lookups by marker, "
                       "e-mail and phone: none",
                       external_id=",".join(purged)[:200])


def _split(path: str) -> tuple[str, int]:
    itemtype, _, item_id = path.partition("/")
    return itemtype, int(item_id)


__all__ = ("GlpiPrivacyHandler",)
