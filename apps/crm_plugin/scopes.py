"""Where the CRM plugin is on, and with which backend: the shared machinery of the beat
jobs (nightly reconciliation, the Krayin lead poll).

The plugin can be switched on globally or for single tenants, and each tenant may pick
its own backend, so a beat job must look at every tenant's effective state, not only at
the global switch (a tenant that turned the CRM on for itself alone would be missed).
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.plugin_manager.models import PluginState
from apps.plugin_manager.runtime import get_plugin_settings, is_enabled
from kgc_erp.tenants.models import Tenant

from .backends import UnknownBackend, backend_of

PLUGIN_ID = "crm"


@dataclass(frozen=True)
class Scope:
    tenant: Tenant
    backend: str
    settings: dict[str, object]


def enabled_scopes(backend: str | None = None) -> list[Scope]:
    """Every tenant with the CRM on (its own switch, or inherited), with its backend."""
    scopes: list[Scope] = []
    for tenant in Tenant.objects.filter(is_active=True).order_by("pk"):
        if not is_enabled(PLUGIN_ID, tenant.pk):
            continue
        settings = get_plugin_settings(PLUGIN_ID, tenant.pk)
        try:
            chosen = backend_of(settings)
        except UnknownBackend:
            continue
        if backend is None or chosen == backend:
            scopes.append(Scope(tenant, chosen, settings))
    return scopes


def backend_for(tenant_id: int) -> str | None:
    """The tenant's effective backend (None: `crm_backend` names no backend)."""
    try:
        return backend_of(get_plugin_settings(PLUGIN_ID, tenant_id))
    except UnknownBackend:
        return None


def tenant_ids_on(backend: str) -> list[int]:
    """Every active tenant whose effective backend is `backend`, its CRM on or not (the
    Twenty initial sync and reconciliation of the global scope: a tenant on Krayin is not
    theirs to push)."""
    return [pk for pk in Tenant.objects.filter(is_active=True).order_by("pk")
            .values_list("pk", flat=True) if backend_for(pk) == backend]  # fmt: skip


def inheriting_tenant_ids() -> list[int]:
    """Active tenants whose own settings row does not choose a backend: a change of the
    global `crm_backend` switches them."""
    own = {
        row.tenant_id for row in PluginState.objects.filter(plugin_id=PLUGIN_ID,
                                                           tenant__isnull=False)
        if str(row.settings.get("crm_backend") or "").strip()
    }  # fmt: skip
    return [pk for pk in Tenant.objects.filter(is_active=True).order_by("pk")
            .values_list("pk", flat=True) if pk not in own]  # fmt: skip


__all__ = ("Scope", "backend_for", "enabled_scopes", "inheriting_tenant_ids", "tenant_ids_on")
