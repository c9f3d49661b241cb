"""Handlers of Twenty's webhooks (run by the inbox task; retried, so idempotent).

- A won opportunity (stage CUSTOMER) becomes a franchise Tenant, exactly once per
  opportunity: a unique ProcessedOpportunity row is written in the same transaction.
- A person edited by hand on a field the ERP owns is logged as a CrmConflict for the
  admin, never written into the ERP (KGC is master); the nightly reconciliation puts
  the ERP's value back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from apps.plugin_manager.eventbus.models import InboundDelivery
from kgc_erp.partners.models import Partner
from kgc_erp.partners.services import ERASED_NAME
from kgc_erp.tenants.models import Tenant

from .mappers import partner_pk_from_kgc_id
from .models import CrmConflict, ProcessedOpportunity

log = logging.getLogger("crm_plugin.twenty.inbound")

WON_STAGE = "CUSTOMER"  # Twenty has no WON: "won" is the CUSTOMER stage (NOTES.md §2)
DEFAULT_FRANCHISE_MODULES: tuple[str, ...] = ("support", "crm")
# Person fields the ERP writes; anything else (notes, job title, ...) is the CRM's own.
MASTER_FIELDS = frozenset(
    {"name", "emails", "phones", "kgcPartnerId", "kgcTenant", "paymentStatus", "isBusiness",
     "totalRentals", "totalRevenue", "lastRentalDate", "lastServiceDate"}
)  # fmt: skip


def _record(payload: Mapping[str, Any]) -> dict[str, Any]:
    record = payload.get("record")
    if not isinstance(record, dict) or not record.get("id"):
        raise ValueError("webhook payload without record.id")
    return record


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "franchise")[:70]
    slug, n = base, 2
    while Tenant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _modules(record: Mapping[str, Any]) -> list[str]:
    """From the opportunity's `kgcModules` field when the workspace has one, else defaults."""
    value = record.get("kgcModules")
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        return [v.lower() for v in value]
    return list(DEFAULT_FRANCHISE_MODULES)


def on_opportunity_updated(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    record = _record(payload)
    if record.get("stage") != WON_STAGE:
        return
    opportunity_id = str(record["id"])
    name = (str(record.get("name") or "").strip() or f"Franchise {opportunity_id[:8]}")[:200]
    try:
        with transaction.atomic():
            if ProcessedOpportunity.objects.filter(opportunity_id=opportunity_id).exists():
                return
            # The unique opportunity_id makes a concurrent second delivery fail here and
            # roll back its tenant with it.
            processed = ProcessedOpportunity.objects.create(
                opportunity_id=opportunity_id, name=name
            )
            tenant = Tenant.objects.create(
                name=name, slug=_unique_slug(name), kind=Tenant.Kind.FRANCHISE,
                modules_enabled=_modules(record),
            )  # fmt: skip
            processed.tenant = tenant
            processed.save(update_fields=["tenant"])
    except IntegrityError:
        log.info("opportunity %s already processed concurrently", opportunity_id)
        return
    log.info("franchise tenant %s created from opportunity %s", tenant.slug, opportunity_id)


def _is_our_echo(record: Mapping[str, Any]) -> bool:
    # Our own API writes come back as webhooks (NOTES.md §6): updatedBy.source == "API".
    updated_by = record.get("updatedBy") or {}
    return isinstance(updated_by, dict) and updated_by.get("source") == "API"


def on_person_updated(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    record = _record(payload)
    updated: Sequence[str] = payload.get("updatedFields") or []
    touched = sorted(MASTER_FIELDS.intersection(updated))
    if not touched or _is_our_echo(record):
        return
    kgc_id = str(record.get("kgcPartnerId") or "")
    partner_pk = partner_pk_from_kgc_id(kgc_id)
    partner = Partner.objects.filter(pk=partner_pk).first() if partner_pk else None
    updated_by = record.get("updatedBy") or {}
    erased = partner is not None and not partner.is_active and partner.name.startswith(
        ERASED_NAME)
    if erased:
        # An erased person's values must not come back through the conflict log.
        log.warning("privacy.tombstone.refused source=twenty person=%s", record["id"])
    CrmConflict.objects.get_or_create(
        inbound_delivery_id=delivery.pk,
        defaults={
            "partner": partner,
            "kgc_partner_id": kgc_id,
            "person_id": str(record["id"]),
            "fields": touched,
            "remote_values": {} if erased else {f: record.get(f) for f in touched},
            "changed_by": str(updated_by.get("name") or "") if isinstance(updated_by, dict) else "",
            "changed_at": parse_datetime(str(record.get("updatedAt") or "")),
        },
    )
    log.warning("Twenty person %s: master fields edited by hand: %s", record["id"], touched)


__all__ = ("DEFAULT_FRANCHISE_MODULES", "MASTER_FIELDS", "on_opportunity_updated",
           "on_person_updated")
