"""A tenant's CRM becoming effective on a backend starts that backend's catch-up for it.

Deliveries already go to the backend selected when they run (`backends.py`), so events
after a switch reach the new backend; what the new backend has never seen (every partner
and its history from before, or the changes made while the tenant was elsewhere) is its
catch-up's job, started here without anyone pressing a button:

- switched (or switched on) to **Krayin**: the tenant's Krayin initial sync, resumable and
  idempotent (a person is found before it is created, a note by its link), so a tenant
  that comes back to Krayin a second time duplicates nothing;
- switched (or switched on, alone) to **Twenty**: the tenant's Twenty reconciliation,
  which writes what is missing or out of date in the workspace and nothing else (the
  global switch's own bootstrap and initial sync stay in `twenty/receivers.py`).

Both run as plugin action runs (the plugin page shows them and their progress), queued
after the change commits, so the task reads the new settings. The plugin manager names no
backend: it only tells, through `plugin_settings_changed` and `plugin_toggled`, that the
CRM plugin's settings of a scope changed; which tenants that switches is decided here (a
global change moves every tenant that does not choose its own backend).
`CRM_SYNC_ON_ENABLE=False` leaves the catch-up to the admin, as it does on enabling.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction

from apps.plugin_manager.actions import start_action
from apps.plugin_manager.runtime import is_enabled
from kgc_erp.tenants.models import Tenant

from .backends import KRAYIN, TWENTY, UnknownBackend, backend_of
from .scopes import PLUGIN_ID, backend_for, inheriting_tenant_ids

log = logging.getLogger("crm_plugin.backend_switch")

# The plugin action each backend's catch-up runs as, for one tenant scope.
CATCH_UP_ACTIONS = {KRAYIN: "krayin_initial_sync", TWENTY: "reconcile"}


def _backend(values: Mapping[str, object]) -> str | None:
    try:
        return backend_of(values)
    except UnknownBackend:
        return None


def _wanted() -> bool:
    return bool(getattr(settings, "CRM_SYNC_ON_ENABLE", True))


def on_settings_changed(sender: object, *, plugin_id: str, tenant_id: int | None,
                        before: Mapping[str, object], after: Mapping[str, object],
                        **kwargs: object) -> None:
    """plugin_settings_changed (inside the settings' transaction)."""
    if plugin_id != PLUGIN_ID or not _wanted():
        return
    old, new = _backend(before), _backend(after)
    if new is None or old == new:
        return
    transaction.on_commit(lambda: catch_up(tenant_id, new))


def on_toggled(sender: object, *, plugin_id: str, tenant_id: int | None, enabled: bool,
               **kwargs: object) -> None:
    """plugin_toggled (after the commit): a tenant switched on alone catches up on its
    backend; the global switch catches up the Krayin tenants (Twenty's global initial
    sync is started by `twenty.receivers.bootstrap_on_enable`)."""
    if plugin_id != PLUGIN_ID or not enabled or not _wanted():
        return
    if tenant_id is not None:
        backend = backend_for(tenant_id)
        if backend is not None:
            catch_up(tenant_id, backend)
        return
    catch_up_tenants([pk for pk in Tenant.objects.filter(is_active=True)
                      .values_list("pk", flat=True) if backend_for(pk) == KRAYIN], KRAYIN)


def catch_up(scope_tenant_id: int | None, backend: str) -> None:
    """After a change of `crm_backend` in a scope (None: the global row) to `backend`."""
    tenant_ids = [scope_tenant_id] if scope_tenant_id is not None else inheriting_tenant_ids()
    catch_up_tenants(tenant_ids, backend)


def catch_up_tenants(tenant_ids: list[int], backend: str) -> list[int]:
    """Start `backend`'s catch-up for each of these tenants whose CRM is on and whose
    effective backend is `backend` now; the ids of the action runs started. Never raises:
    the admin's save is done, a catch-up that cannot be queued is logged (the nightly
    reconciliation still comes)."""
    started: list[int] = []
    for tenant in Tenant.objects.filter(pk__in=tenant_ids, is_active=True).order_by("pk"):
        if not is_enabled(PLUGIN_ID, tenant.pk) or backend_for(tenant.pk) != backend:
            continue
        try:
            run = start_action(PLUGIN_ID, tenant, CATCH_UP_ACTIONS[backend])
        except Exception:
            log.exception("could not start the %s catch-up of %s", backend, tenant.slug)
            continue
        log.info("crm backend of %s is %s: catch-up run #%s queued", tenant.slug, backend,
                 run.pk)
        started.append(run.pk)
    return started


__all__ = ("CATCH_UP_ACTIONS", "catch_up", "catch_up_tenants", "on_settings_changed",
           "on_toggled")
