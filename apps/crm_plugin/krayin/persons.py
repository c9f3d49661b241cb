"""Partner -> Krayin person (and company -> organization): find-or-create, adopt, delete.

Krayin has no upsert and refuses a duplicate e-mail or phone with a 422, so a person is
looked up before it is created: our own id first (the marker e-mail, see mappers.py), then
the partner's e-mail, then its phone. A create that still meets "already taken" (a race,
or our own earlier create whose response was lost) looks up again and adopts. A person
found by e-mail or phone is adopted only if it is not another partner's (no other marker).
If the partner's e-mail or phone belongs to another partner's person, the rest is written
without it and the clash is logged: two ERP partners may share a family address, Krayin
cannot.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from apps.plugin_manager.eventbus import external_refs
from apps.plugin_manager.eventbus.object_refs import object_type_of
from kgc_erp.partners.models import Partner

from . import mappers
from .client import JsonObject, KrayinClient
from .config import SYSTEM
from .errors import KrayinNotFound, KrayinValidationError

log = logging.getLogger("crm_plugin.krayin.persons")

PARTNER_OBJECT_TYPE = object_type_of(Partner)


@dataclass(frozen=True)
class PersonIndex:
    """Every person of a Krayin instance by e-mail and phone, and every organization by
    name, read in two calls (the initial sync and the reconciliation use it instead of a
    search per partner and per company). `organizations` None: not read (look them up)."""

    by_email: dict[str, JsonObject]
    by_phone: dict[str, JsonObject]
    organizations: dict[str, int] | None = None

    @classmethod
    def load(cls, client: KrayinClient) -> PersonIndex:
        by_email: dict[str, JsonObject] = {}
        by_phone: dict[str, JsonObject] = {}
        for person in client.all_persons():
            for value in _values(person, "emails"):
                by_email.setdefault(value.lower(), person)
            for value in _values(person, "contact_numbers"):
                by_phone.setdefault(value, person)
        organizations: dict[str, int] = {}
        for org in client.all_organizations():
            organizations.setdefault(str(org.get("name") or ""), int(str(org["id"])))
        return cls(by_email, by_phone, organizations)

    def remember(self, person: JsonObject) -> None:
        for value in _values(person, "emails"):
            self.by_email[value.lower()] = person
        for value in _values(person, "contact_numbers"):
            self.by_phone[value] = person


def _values(person: JsonObject, key: str) -> list[str]:
    items = person.get(key)
    if not isinstance(items, list):
        return []
    return [str(i["value"]) for i in items if isinstance(i, dict) and i.get("value")]


def labeled_pairs(person: JsonObject, key: str) -> list[tuple[str, str]]:
    """(value lower-cased, label) of a person's e-mails or numbers, in order."""
    items = person.get(key)
    if not isinstance(items, list):
        return []
    return [(str(i.get("value") or "").lower(), str(i.get("label") or ""))
            for i in items if isinstance(i, dict)]  # fmt: skip


def person_differs(partner: Partner, person: JsonObject) -> bool:
    """Whether the person's name, e-mails or numbers differ from what the ERP writes."""
    expected = mappers.person_payload(partner, user_id=None, organization_id=None)
    if person.get("name") != expected["name"]:
        return True
    wanted_emails = labeled_pairs(expected, "emails")
    if labeled_pairs(person, "emails") != wanted_emails:
        # The own e-mail may be left out on purpose (another partner's person has it).
        return labeled_pairs(person, "emails") != wanted_emails[-1:]
    wanted_numbers = labeled_pairs(expected, "contact_numbers")
    numbers = labeled_pairs(person, "contact_numbers")
    return numbers != wanted_numbers and numbers != [(mappers.kgc_id(partner.pk).lower(), "kgc")]


def _organization_of(person: JsonObject) -> int | None:
    org = person.get("organization")
    return int(str(org["id"])) if isinstance(org, dict) and org.get("id") else None


def _owner_id(person: JsonObject) -> int | None:
    owner = person.get("sales_owner")
    return int(str(owner["id"])) if isinstance(owner, dict) and owner.get("id") else None


def _markers(person: JsonObject) -> set[int]:
    found = (mappers.partner_pk_from_marker(v) for v in _values(person, "emails"))
    return {pk for pk in found if pk is not None}


def _adoptable(person: JsonObject, partner_pk: int) -> bool:
    markers = _markers(person)
    return not markers or markers == {partner_pk}


def _search(client: KrayinClient, index: PersonIndex | None, field: str,
            value: str) -> list[JsonObject]:
    if index is not None:
        table = index.by_email if field == "emails" else index.by_phone
        hit = table.get(value.lower() if field == "emails" else value)
        return [hit] if hit else []
    rows = client.search_persons(field, value)
    # LIKE on the JSON text is a substring match: keep exact (case-insensitive) hits only.
    return [p for p in rows if value.lower() in (v.lower() for v in _values(p, field))]


def find_person(client: KrayinClient, partner: Partner,
                index: PersonIndex | None = None,
                withhold: frozenset[str] = frozenset()) -> JsonObject | None:
    """The person standing for this partner: by our marker, then e-mail, then phone
    (never by a withheld value: an erased person's leftover is not adopted)."""
    for person in _search(client, index, "emails", mappers.marker_email(partner.pk)):
        return person
    lookups = ([("emails", partner.email.strip())]
               if partner.email and "email" not in withhold else [])
    if partner.phone and "phone" not in withhold:
        lookups.append(("contact_numbers", partner.phone))
    for field, value in lookups:
        for person in _search(client, index, field, value):
            if _adoptable(person, partner.pk):
                return person
    return None


def _organization_id(client: KrayinClient, partner: Partner,
                     index: PersonIndex | None = None) -> int | None:
    """Company partners belong to an organization named after the firm (found by exact
    name, else created; the id is remembered on the partner's link). No call when the
    link or the index knows it; with a loaded index, a missing one is created at once
    (a concurrent create still ends in the lookup below, through Krayin's 422)."""
    if not partner.is_business:
        return None
    name = mappers.person_name(partner)
    ref = external_refs.find_ref(SYSTEM, tenant=partner.tenant_id, obj=partner)
    if ref is not None and ref.data.get("organization_name") == name:
        cached = ref.data.get("organization_id")
        if isinstance(cached, int):
            return cached
    known = index.organizations if index is not None else None
    if known is not None and name in known:
        return known[name]
    found = client.find_organizations(name) if known is None else []
    if found:
        return int(str(found[0]["id"]))
    try:
        org_id = int(str(client.create_organization(name)["id"]))
    except KrayinValidationError as exc:
        if not exc.already_taken:
            raise
        found = client.find_organizations(name)
        if not found:
            raise
        org_id = int(str(found[0]["id"]))
    if known is not None:
        known[name] = org_id
    return org_id


def _write(client: KrayinClient, person_id: int | None, partner: Partner,
           owner: int | None, organization_id: int | None,
           withhold: frozenset[str] = frozenset()) -> JsonObject:
    """Create (person_id None) or update; without the own e-mail / phone if another
    partner's person already has them, or if it is withheld (erased: a tombstone)."""
    with_email, with_phone = "email" not in withhold, "phone" not in withhold
    for _ in range(3):
        payload = mappers.person_payload(partner, user_id=owner, organization_id=organization_id,
                                         with_own_email=with_email, with_own_phone=with_phone)
        try:
            if person_id is None:
                return client.create_person(payload)
            return client.update_person(person_id, payload)
        except KrayinValidationError as exc:
            taken = exc.taken_paths()
            if not taken or any(p.startswith("emails.") and p != "emails.0.value"
                                for p in taken):  # fmt: skip
                raise  # our marker itself is taken: the person exists, the caller adopts
            if "emails.0.value" in taken and partner.email and with_email:
                with_email = False
            elif any(p.startswith("contact_numbers.") for p in taken) and with_phone:
                with_phone = False
            else:
                raise
            log.warning("krayin.person.value-taken partner=%s paths=%s", partner.pk, taken)
    raise KrayinValidationError("person refused after dropping shared values")


def sync_person(client: KrayinClient, partner: Partner,
                index: PersonIndex | None = None,
                withhold: frozenset[str] = frozenset()) -> JsonObject:
    """Make the partner's person exist and match the ERP; returns the person.
    ``withhold``: "email" / "phone" erased on a data-subject request (tombstoned in the
    tenant), written without them (``partner_sync.withheld_values``)."""
    organization_id = _organization_id(client, partner, index)
    existing = find_person(client, partner, index, withhold)
    person: JsonObject
    if existing is not None and index is not None and not withhold \
            and not person_differs(partner, existing) \
            and _organization_of(existing) == organization_id:
        person = existing  # read in this run and already right: no call (a re-run, resume)
    elif existing is not None:
        person = _write(client, int(str(existing["id"])), partner, _owner_id(existing),
                        organization_id, withhold)
    else:
        try:
            person = _write(client, None, partner, None, organization_id, withhold)
        except KrayinValidationError as exc:
            # Created meanwhile (a concurrent delivery, or our own create whose response
            # was lost): adopt it.
            adopted = find_person(client, partner) if exc.already_taken else None
            if adopted is None:
                raise
            log.info("krayin.person.adopted-after-422 person=%s partner=%s",
                     adopted["id"], partner.pk)
            person = _write(client, int(str(adopted["id"])), partner, _owner_id(adopted),
                            organization_id, withhold)
    if index is not None:
        index.remember(person)
    ref = external_refs.find_ref(SYSTEM, tenant=partner.tenant_id, obj=partner)
    data = dict(ref.data) if ref is not None else {}
    if ref is not None and str(ref.external_id) != str(person["id"]):
        data.pop("summary_activity_id", None)  # a different person: its own summary note
        data.pop("summary", None)
    data.update({"organization_id": organization_id,
                 "organization_name": mappers.person_name(partner) if organization_id else None})
    external_refs.link(SYSTEM, str(person["id"]), tenant=partner.tenant_id, obj=partner,
                       data=data)  # fmt: skip
    return person


def delete_person(client: KrayinClient, partner_pk: int, tenant_id: int,
                  partner: Partner | None) -> bool:
    """Erasure or deactivation: delete the person (Krayin cascades its leads and timeline).
    Found by the stored link, else by our marker only (an erased row has no e-mail left)."""
    ref = external_refs.find_ref(SYSTEM, tenant=tenant_id, object_type=PARTNER_OBJECT_TYPE,
                                 object_id=partner_pk)  # fmt: skip
    person_ids: set[int] = set()
    if ref is not None and ref.external_id and ref.sync_status != "deleted":
        person_ids.add(int(ref.external_id))
    for person in client.search_persons("emails", mappers.marker_email(partner_pk)):
        if partner_pk in _markers(person):
            person_ids.add(int(str(person["id"])))
    for person_id in sorted(person_ids):
        with contextlib.suppress(KrayinNotFound):  # gone already: that is the goal
            client.delete_person(person_id)
    external_refs.mark_deleted(SYSTEM, tenant=tenant_id, object_type=PARTNER_OBJECT_TYPE,
                               object_id=partner_pk)  # fmt: skip
    return bool(person_ids)


__all__ = ("PersonIndex", "delete_person", "find_person", "labeled_pairs", "person_differs",
           "sync_person")
