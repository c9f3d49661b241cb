"""Use case: a won CRM deal becomes a franchise tenant, exactly once per deal.

Shared by the CRM backends (a Twenty opportunity in the CUSTOMER stage, a Krayin lead in
the `won` stage). Exactly once: a unique `ProcessedOpportunity` row is written in the
same transaction as the tenant, so a redelivered webhook, a second poll or a concurrent
worker finds the row (or fails on the unique key and rolls its own tenant back).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from kgc_erp.tenants.models import Tenant

from .models import ProcessedOpportunity

log = logging.getLogger("crm_plugin.franchise_onboarding")

DEFAULT_FRANCHISE_MODULES: tuple[str, ...] = ("support", "crm")
NAME_MAX_LENGTH = 200


def deal_key(backend: str, deal_id: str) -> str:
    """The ProcessedOpportunity key of a deal. Twenty's UUIDs are stored bare (the rows
    written before Krayin existed keep matching); other backends' ids are small integers
    that would collide across backends, so they carry a prefix."""
    return deal_id if backend == "twenty" else f"{backend}:{deal_id}"


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "franchise")[:70]
    slug, n = base, 2
    while Tenant.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def onboard_franchise(
    key: str, name: str, modules: Sequence[str] = DEFAULT_FRANCHISE_MODULES
) -> Tenant | None:
    """Create the franchise tenant of a won deal; None if the deal was processed before."""
    name = (name.strip() or f"Franchise {key[-8:]}")[:NAME_MAX_LENGTH]
    try:
        with transaction.atomic():
            if ProcessedOpportunity.objects.filter(opportunity_id=key).exists():
                return None
            # The unique opportunity_id makes a concurrent second delivery fail here and
            # roll back its tenant with it.
            processed = ProcessedOpportunity.objects.create(opportunity_id=key, name=name)
            tenant = Tenant.objects.create(
                name=name, slug=_unique_slug(name), kind=Tenant.Kind.FRANCHISE,
                modules_enabled=list(modules or DEFAULT_FRANCHISE_MODULES),
            )  # fmt: skip
            processed.tenant = tenant
            processed.save(update_fields=["tenant"])
    except IntegrityError:
        log.info("deal %s already processed concurrently", key)
        return None
    log.info("franchise tenant %s created from deal %s", tenant.slug, key)
    return tenant


__all__ = ("DEFAULT_FRANCHISE_MODULES", "deal_key", "onboard_franchise")
