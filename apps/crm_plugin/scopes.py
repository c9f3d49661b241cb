"""Where the CRM plugin is on, and with which backend: the shared machinery of the beat
jobs (nightly reconciliation, the Krayin lead poll).

The plugin can be switched on globally or for single tenants, and each tenant may pick
its own backend, so a beat job must look at every tenant's effective state, not only at
the global switch (a tenant that turned the CRM on for itself alone would be missed).
"""

from __future__ import annotations

from dataclasses import dataclass

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


__all__ = ("Scope", "enabled_scopes")
