"""Krayin's part of a data-subject request (declared in the CRM plugin's manifest
``privacy_handlers``; protocol: apps.plugin_manager.privacy.handlers).

What Krayin holds about a partner: the person (name, e-mails, phone numbers, our marker
e-mail), its timeline (the aggregates note, a note per rental, worklog, order and Chatwoot
conversation, Krayin's own audit entries of every change), its leads (purchase interest
from Chatwoot), and for a company partner the organization named after the firm.

Erasure deletes the person (found by our link, our marker, and the e-mail / phone when no
other partner's marker is on it); Krayin deletes its leads and its activities with it.
The organization is deleted too when nobody else belongs to it. Read back: the lookups by
marker, e-mail and phone find nothing, each former lead answers 404, the organization
answers 404 (or still has other members). A Krayin without a connection for the tenant
(the tenant runs Twenty) holds nothing: the receipt says so.
"""

from __future__ import annotations

import contextlib
from typing import Any

from apps.plugin_manager.eventbus import external_refs
from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed

from . import mappers
from .client import JsonObject, KrayinClient
from .config import SYSTEM, KrayinConfig
from .errors import KrayinNotConfigured, KrayinNotFound
from .persons import PARTNER_OBJECT_TYPE, _markers, _values


def _persons(client: KrayinClient, subject: PrivacySubject) -> dict[int, JsonObject]:
    """The person(s) standing for the partner: our link, our marker, and the e-mail /
    phone on a person no other partner's marker claims."""
    found: dict[int, JsonObject] = {}
    pk = subject.partner_id
    lookups: list[tuple[str, str]] = []
    if pk is not None:
        lookups.append(("emails", mappers.marker_email(pk)))
    if subject.email:
        lookups.append(("emails", subject.email))
    if subject.phone:
        lookups.append(("contact_numbers", subject.phone))
    for field, value in lookups:
        for person in client.search_persons(field, value):
            exact = value.lower() in (v.lower() for v in _values(person, field))
            markers = _markers(person)
            if exact and (not markers or markers == {pk}):
                found[int(str(person["id"]))] = person
    return found


def _linked(subject: PrivacySubject) -> tuple[int | None, int | None]:
    """The person id and organization id our link remembers (kept when marked deleted)."""
    if subject.partner_id is None:
        return None, None
    ref = external_refs.find_ref(SYSTEM, tenant=subject.tenant, object_type=PARTNER_OBJECT_TYPE,
                                 object_id=subject.partner_id)  # fmt: skip
    if ref is None:
        return None, None
    person_id = int(ref.external_id) if ref.external_id else None
    org = ref.data.get("organization_id")
    return person_id, org if isinstance(org, int) else None


def _organizations(persons: dict[int, JsonObject], linked_org: int | None) -> set[int]:
    ids = {linked_org} if linked_org else set()
    for person in persons.values():
        org = person.get("organization")
        if isinstance(org, dict) and org.get("id"):
            ids.add(int(str(org["id"])))
        elif person.get("organization_id"):
            ids.add(int(str(person["organization_id"])))
    return ids


def _config(subject: PrivacySubject) -> KrayinConfig | None:
    try:
        return KrayinConfig.from_settings(subject.settings)
    except KrayinNotConfigured:
        return None


class KrayinPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        config = _config(subject)
        if config is None:
            return {"persons": [], "note": "Krayin is not connected for this store"}
        with KrayinClient(config) as client:
            persons = _persons(client, subject)
            out = []
            for person_id, person in sorted(persons.items()):
                out.append({"person": person,
                            "activities": client.person_activities(person_id),
                            "leads": client.leads_of_person(person_id)})
            organizations = []
            for org_id in sorted(_organizations(persons, _linked(subject)[1])):
                with contextlib.suppress(KrayinNotFound):
                    organizations.append(client.get_organization(org_id))
            return {"persons": out, "organizations": organizations}

    def erase(self, subject: PrivacySubject) -> Receipt:
        config = _config(subject)
        if config is None:
            return Receipt("nothing_held", "Krayin is not connected for this store")
        linked_person, linked_org = _linked(subject)
        with KrayinClient(config) as client:
            persons = _persons(client, subject)
            person_ids = set(persons) | ({linked_person} if linked_person else set())
            leads = {int(str(lead["id"])) for pid in persons
                     for lead in client.leads_of_person(pid)}
            organizations = _organizations(persons, linked_org)
            for person_id in sorted(person_ids):
                with contextlib.suppress(KrayinNotFound):  # gone already: that is the goal
                    client.delete_person(person_id)
            deleted_orgs: list[int] = []
            for org_id in sorted(organizations):
                # Only when it was theirs alone: another partner's person may work there.
                with contextlib.suppress(KrayinNotFound):
                    if not client.persons_of_organization(org_id):
                        client.delete_organization(org_id)
                        deleted_orgs.append(org_id)
            # Read back.
            left = _persons(client, subject)
            lead_left = []
            for lead_id in sorted(leads):
                try:
                    client.get_lead(lead_id)
                except KrayinNotFound:
                    continue
                lead_left.append(lead_id)
            org_left = []
            for org_id in deleted_orgs:
                try:
                    client.get_organization(org_id)
                except KrayinNotFound:
                    continue
                org_left.append(org_id)
        if left or lead_left or org_left:
            raise VerificationFailed(f"Krayin still holds persons {sorted(left)}, leads "
                                     f"{lead_left}, organizations {org_left}")
        if subject.partner_id is not None:
            external_refs.mark_deleted(SYSTEM, tenant=subject.tenant,
                                       object_type=PARTNER_OBJECT_TYPE,
                                       object_id=subject.partner_id)  # fmt: skip
        if not person_ids:
            return Receipt("nothing_held", "lookups by marker, e-mail and phone: none")
        evidence = (f"DELETE /contacts/persons/{', '.join(map(str, sorted(person_ids)))} "
                    f"(with {len(leads)} leads and the timeline); "
                    f"organizations deleted: {deleted_orgs or 'none'}; "
                    "search by marker, e-mail and phone -> none; "
                    f"GET /leads/<id> -> 404 for {len(leads)}")
        return Receipt("deleted", evidence,
                       external_id=",".join(map(str, sorted(person_ids)))[:200])


__all__ = ("KrayinPrivacyHandler",)
