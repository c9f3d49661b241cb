"""Partner -> Twenty person: upsert, soft delete, GDPR destroy (the ERP is master)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from django.db.models import Count

from apps.plugin_manager.eventbus import external_refs
from apps.plugin_manager.eventbus.object_refs import object_type_of
from kgc_erp.partners.models import Partner

from .aggregates import compute_aggregates
from .client import TwentyClient
from .config import SYSTEM
from .errors import TwentyNotFound
from .kinds import SPECS
from .mappers import company_id, company_input, kgc_partner_id, person_input

log = logging.getLogger("crm_plugin.twenty.people")

PARTNER_OBJECT_TYPE = object_type_of(Partner)
# Soft-deleted rows are hidden unless the filter mentions deletedAt (NOTES.md section 3).
WITH_DELETED: dict[str, object] = {
    "or": [{"deletedAt": {"is": "NULL"}}, {"deletedAt": {"is": "NOT_NULL"}}]
}


def push_partners(client: TwentyClient, partners: Sequence[Partner]) -> list[dict[str, Any]]:
    """Upsert up to one batch of partners with freshly computed aggregates (one call)."""
    if not partners:
        return []
    aggregates = compute_aggregates(p.pk for p in partners)
    shared = shared_emails(partners)
    companies = [company_input(p) for p in partners if p.is_business]
    if companies:  # before the people, whose companyId points at them
        client.upsert_companies(companies)
    people = client.upsert_people([
        person_input(p, aggregates[p.pk], email_shared=p.email in shared) for p in partners
    ])  # fmt: skip
    by_key = {person["kgcPartnerId"]: person["id"] for person in people}
    for partner in partners:
        person_id = by_key.get(kgc_partner_id(partner.pk))
        if person_id:
            external_refs.link(SYSTEM, person_id, tenant=partner.tenant_id, obj=partner)
    return people


def shared_emails(partners: Sequence[Partner]) -> set[str]:
    """E-mail addresses of these partners that some other partner (any status) also has."""
    emails = {p.email for p in partners if p.email}
    if not emails:
        return set()
    return set(
        Partner.objects.filter(email__in=emails)
        .values("email")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("email", flat=True)
    )


def find_person(
    client: TwentyClient, partner_pk: int, *, include_deleted: bool = False
) -> dict[str, Any] | None:
    filter_: dict[str, object] = {"kgcPartnerId": {"eq": kgc_partner_id(partner_pk)}}
    if include_deleted:
        filter_ = {"and": [filter_, WITH_DELETED]}
    page = client.find_people(filter_, first=1)
    return page.nodes[0] if page.nodes else None


def soft_delete_partner(client: TwentyClient, partner_pk: int, tenant_id: int) -> bool:
    """Move the person to Twenty's trash (deactivated partner); False if not there."""
    person = find_person(client, partner_pk)
    if person is None:
        return False
    client.delete_person(person["id"])
    external_refs.mark_deleted(
        SYSTEM, tenant=tenant_id, object_type=PARTNER_OBJECT_TYPE, object_id=partner_pk
    )
    return True


def destroy_partner(client: TwentyClient, partner_pk: int, tenant_id: int) -> bool:
    """GDPR erasure: hard-delete the person and every history record that points at it.

    The records go first: their relation is SET_NULL on delete, so destroying only the
    person would leave orphaned personal history behind.
    """
    person = find_person(client, partner_pk, include_deleted=True)
    if person is None:
        return False
    for spec in SPECS.values():
        owned = {"and": [{"personId": {"eq": person["id"]}}, WITH_DELETED]}
        client.destroy_records(spec.kind, owned)
    client.destroy_person(person["id"])
    if person.get("companyId"):
        # A sole trader's firm name is personal data too; the company is ours alone.
        with contextlib.suppress(TwentyNotFound):
            client.destroy_company(company_id(partner_pk))
    external_refs.mark_deleted(
        SYSTEM, tenant=tenant_id, object_type=PARTNER_OBJECT_TYPE, object_id=partner_pk
    )
    log.info("twenty person of partner %s destroyed (GDPR erasure)", partner_pk)
    return True


__all__ = ("WITH_DELETED", "destroy_partner", "find_person", "push_partners",
           "soft_delete_partner")
