"""Celery tasks of the Krayin backend: plugin actions and beat jobs (thin: ids in, use
cases out). Each runs for one tenant scope, with that tenant's effective settings."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from apps.plugin_manager.actions import action_run
from apps.plugin_manager.models import PluginActionRun
from kgc_erp.tenants.models import Tenant

from ..scopes import enabled_scopes
from .client import KrayinClient
from .config import BACKEND, KrayinConfig, settings_for
from .initial_sync import resumable_run, run_sync, start_run
from .lead_poll import poll_leads
from .reconcile import reconcile

log = logging.getLogger("crm_plugin.krayin.tasks")

SYNC_LOCK_SECONDS = 6 * 3600


def _tenant(tenant_id: int | None) -> Tenant:
    """Action runs started on the global scope work on the headquarters tenant."""
    if tenant_id is not None:
        return Tenant.objects.get(pk=tenant_id)
    return Tenant.objects.filter(kind=Tenant.Kind.HEADQUARTERS).order_by("pk").first() \
        or Tenant.objects.order_by("pk").first()  # type: ignore[return-value]


def _sync_lock(tenant: Tenant) -> str:
    return f"crm:krayin:sync-lock:{tenant.pk}"


def initial_sync(tenant: Tenant, action: PluginActionRun | None = None) -> None:
    """Start or resume the tenant's initial sync (one at a time per tenant)."""
    lock = _sync_lock(tenant)
    if not cache.add(lock, "1", SYNC_LOCK_SECONDS):
        log.warning("a Krayin sync of %s is already running", tenant.slug)
        return
    try:
        run = resumable_run(tenant)
        if run is None:
            run = start_run(tenant, action_run=action)
        elif action is not None:
            run.action_run = action
            run.save(update_fields=["action_run"])
        with KrayinClient(settings_for(tenant)) as client:
            run_sync(client, run)
    finally:
        cache.delete(lock)


def reconcile_tenant(tenant: Tenant) -> None:
    lock = _sync_lock(tenant)
    if not cache.add(lock, "1", SYNC_LOCK_SECONDS):
        return
    try:
        with KrayinClient(settings_for(tenant)) as client:
            reconcile(client, tenant)
    finally:
        cache.delete(lock)


@shared_task(name="crm_plugin.krayin.initial_sync", ignore_result=True)
def initial_sync_action(*, tenant_id: int | None = None, run_id: int) -> None:
    with action_run(run_id):
        initial_sync(_tenant(tenant_id), PluginActionRun.objects.get(pk=run_id))


@shared_task(name="crm_plugin.krayin.reconcile", ignore_result=True)
def reconcile_action(*, tenant_id: int | None = None, run_id: int) -> None:
    with action_run(run_id) as reporter:
        tenant = _tenant(tenant_id)
        with KrayinClient(settings_for(tenant)) as client:
            run = reconcile(client, tenant)
        reporter.progress(run.done, run.total, f"javítva: {run.repaired}")


@shared_task(name="crm_plugin.krayin.poll_leads_action", ignore_result=True)
def poll_leads_action(*, tenant_id: int | None = None, run_id: int) -> None:
    with action_run(run_id) as reporter, KrayinClient(settings_for(_tenant(tenant_id))) as client:
        result = poll_leads(client)
        reporter.progress(1, 1, f"{result.leads_seen} lead átnézve, "
                                f"{result.tenants_created} új telephely")


@shared_task(name="crm_plugin.krayin.poll_leads", ignore_result=True)
def poll_leads_beat() -> None:
    """Celery beat, every few minutes: the safety net behind the workflow pushes. One poll
    per Krayin instance, however many tenants share it."""
    polled: set[str] = set()
    for scope in enabled_scopes(BACKEND):
        try:
            config = KrayinConfig.from_settings(scope.settings)
        except Exception:
            log.warning("krayin not configured for %s", scope.tenant.slug)
            continue
        if config.instance_key in polled:
            continue
        polled.add(config.instance_key)
        try:
            with KrayinClient(config) as client:
                poll_leads(client)
        except Exception:  # one broken instance must not starve the others
            log.exception("krayin lead poll of %s failed", scope.tenant.slug)


__all__ = ("initial_sync", "initial_sync_action", "poll_leads_action", "poll_leads_beat",
           "reconcile_action", "reconcile_tenant")
