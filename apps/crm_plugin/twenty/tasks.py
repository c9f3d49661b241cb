"""Celery tasks: the plugin actions (bootstrap, initial sync, reconciliation) and beat.

The initial sync is a singleton (a Redis lock); a second start resumes the unfinished
run's checkpoint instead of beginning again.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from apps.plugin_manager.actions import action_run
from apps.plugin_manager.models import PluginActionRun
from apps.plugin_manager.runtime import get_plugin_settings, is_enabled
from apps.plugin_manager.setup_steps import run_setup

from ..backends import TWENTY
from ..scopes import tenant_ids_on
from .client import TwentyClient
from .config import PLUGIN_ID, TwentyConfig
from .gdpr_export import export_partner
from .initial_sync import resumable_run, run_sync, start_run
from .reconcile import reconcile

log = logging.getLogger("crm_plugin.twenty.tasks")

SYNC_LOCK = "crm:twenty:sync-lock"
SYNC_LOCK_SECONDS = 6 * 3600


def global_client() -> TwentyClient:
    """Twenty is one workspace for the company: the global scope's settings."""
    return TwentyClient(TwentyConfig.from_settings(get_plugin_settings(PLUGIN_ID, None)))


def _bootstrap() -> str:
    # Through the setup-step record, so deliveries waiting for the schema see it done.
    return run_setup(PLUGIN_ID, None)


def _initial_sync(action: PluginActionRun | None) -> None:
    if not cache.add(SYNC_LOCK, "1", SYNC_LOCK_SECONDS):
        log.warning("an initial sync or reconciliation is already running")
        return
    try:
        run = resumable_run()
        if run is None:
            run = start_run(action_run=action)
        elif action is not None:
            run.action_run = action
            run.save(update_fields=["action_run"])
        with global_client() as client:
            run_sync(client, run)
    finally:
        cache.delete(SYNC_LOCK)


@shared_task(name="crm_plugin.twenty.bootstrap_schema", ignore_result=True)
def bootstrap_schema_action(*, tenant_id: int | None = None, run_id: int) -> None:
    with action_run(run_id) as reporter:
        reporter.progress(1, 1, _bootstrap())


@shared_task(name="crm_plugin.twenty.initial_sync", ignore_result=True)
def initial_sync_action(*, tenant_id: int | None = None, run_id: int) -> None:
    with action_run(run_id):
        _initial_sync(PluginActionRun.objects.get(pk=run_id))


@shared_task(name="crm_plugin.twenty.bootstrap_and_sync", ignore_result=True)
def bootstrap_and_sync() -> None:
    """On enable: create the data model, then the initial sync, recorded as an action run
    so the plugin page shows it like one started by hand."""
    if not is_enabled(PLUGIN_ID, None):
        return
    run = PluginActionRun.objects.create(
        plugin_id=PLUGIN_ID, action="initial_sync",
        message="A bővítmény bekapcsolásakor indult automatikusan.",
    )
    with action_run(run.pk):
        _bootstrap()
        _initial_sync(run)


@shared_task(name="crm_plugin.twenty.reconcile", ignore_result=True)
def reconcile_action(*, tenant_id: int | None = None, run_id: int) -> None:
    """Started on a tenant's scope (by hand, or by a switch of its backend to Twenty,
    `backend_switch.py`): that tenant's partners; on the global scope: every tenant whose
    backend is Twenty. The data model is ensured first (a tenant coming back from Krayin
    may be the workspace's first user)."""
    with action_run(run_id) as reporter:
        run_setup(PLUGIN_ID, tenant_id)
        tenant_ids = [tenant_id] if tenant_id is not None else tenant_ids_on(TWENTY)
        with global_client() as client:
            run = reconcile(client, tenant_ids)
        reporter.progress(run.done, run.total, f"javítva: {run.repaired}")


def reconcile_tenants(tenant_ids: list[int]) -> None:
    """The nightly job's Twenty part (`apps.crm_plugin.tasks.nightly_reconcile`): one
    workspace, the partners of the tenants whose CRM is on with the Twenty backend."""
    if not cache.add(SYNC_LOCK, "1", SYNC_LOCK_SECONDS):
        log.warning("an initial sync or reconciliation is already running")
        return
    try:
        with global_client() as client:
            reconcile(client, tenant_ids)
    finally:
        cache.delete(SYNC_LOCK)


@shared_task(name="crm_plugin.twenty.gdpr_export", ignore_result=True)
def gdpr_export(*, tenant_id: int | None = None, run_id: int, object_ids: list[int]) -> None:
    """Admin action: what Twenty holds about the selected partners, as one JSON result."""
    with action_run(run_id) as reporter, global_client() as client:
        documents = []
        for done, partner_pk in enumerate(object_ids, 1):
            documents.append(export_partner(client, partner_pk))
            reporter.progress(done, len(object_ids))
        reporter.result(documents[0] if len(documents) == 1 else documents)


__all__ = (
    "bootstrap_and_sync",
    "bootstrap_schema_action",
    "gdpr_export",
    "initial_sync_action",
    "reconcile_action",
    "reconcile_tenants",
)
