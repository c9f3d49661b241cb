"""Celery tasks of the Chatwoot integration (thin: load by id, call a use case)."""

from __future__ import annotations

import logging

from celery import shared_task

from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from . import accounts
from .client import ChatwootClient
from .config import settings_for
from .contact_sync import sync_partner_contact

log = logging.getLogger("support_plugin.chatwoot.tasks")


@shared_task(name="support_plugin.chatwoot.bootstrap_franchise", ignore_result=True,
             autoretry_for=(Exception,), dont_autoretry_for=(accounts.BootstrapError,),
             retry_backoff=True, retry_backoff_max=600, max_retries=5)
def bootstrap_franchise(tenant_id: int) -> None:
    """Started when a franchise tenant gets the support plugin switched on."""
    accounts.bootstrap_franchise(Tenant.objects.get(pk=tenant_id))


@shared_task(name="support_plugin.chatwoot.bootstrap_franchise_action", ignore_result=True)
def bootstrap_franchise_action(*, tenant_id: int | None, run_id: int) -> None:
    """Plugins page action: (re)run the franchise bootstrap for one tenant."""
    from apps.plugin_manager.actions import action_run

    with action_run(run_id) as run:
        if tenant_id is None:
            raise accounts.BootstrapError("a franchise tenant must be selected")
        account = accounts.bootstrap_franchise(Tenant.objects.get(pk=tenant_id))
        run.progress(1, 1, f"Chatwoot fiók #{account.account_id} kész")


@shared_task(name="support_plugin.chatwoot.sync_all_contacts", ignore_result=True)
def sync_all_contacts(*, tenant_id: int | None, run_id: int) -> None:
    """Plugins page action: push every active partner of the tenant to Chatwoot (find-or-
    create, so it is safe to run on an account that already has contacts)."""
    from apps.plugin_manager.actions import action_run

    tenants = Tenant.objects.filter(pk=tenant_id) if tenant_id else Tenant.objects.all()
    with action_run(run_id) as run:
        partners = Partner.objects.filter(tenant__in=tenants, is_active=True).order_by("pk")
        total = partners.count()
        run.progress(0, total)
        clients: dict[int, ChatwootClient] = {}
        for done, partner in enumerate(partners.select_related("tenant").iterator(), start=1):
            tenant = partner.tenant
            if tenant.pk not in clients:
                clients[tenant.pk] = settings_for(tenant).client()
            sync_partner_contact(clients[tenant.pk], partner, tenant)
            run.progress(done, total, f"{done}/{total} partner szinkronizálva")


__all__ = ("bootstrap_franchise", "bootstrap_franchise_action", "sync_all_contacts")
