"""What the Plugins admin page shows: every plugin x every visible scope, read in a fixed
number of queries (all state rows, all tenants, latest action runs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.http import Http404

from kgc_erp.tenants.models import Tenant

from .models import PluginActionRun, PluginState
from .plugins import PluginAppConfig
from .registry import installed_plugins
from .runtime import env_default_enabled
from .status import HealthStatus

GLOBAL_SCOPE = "global"
TENANT_PREFIX = "t-"

BADGE_VARIANTS = {
    HealthStatus.HEALTHY: "success",
    HealthStatus.DEGRADED: "warning",
    HealthStatus.DOWN: "danger",
    HealthStatus.DISABLED: "",
    HealthStatus.UNKNOWN: "info",
}


def scope_key(tenant: Tenant | None) -> str:
    return GLOBAL_SCOPE if tenant is None else TENANT_PREFIX + tenant.slug


def tenant_for_scope(scope: str) -> Tenant | None:
    if scope == GLOBAL_SCOPE:
        return None
    if scope.startswith(TENANT_PREFIX):
        tenant = Tenant.objects.filter(slug=scope[len(TENANT_PREFIX):]).first()
        if tenant is not None:
            return tenant
    raise Http404("Ismeretlen hatókör.")


@dataclass
class ScopeView:
    plugin: PluginAppConfig
    tenant: Tenant | None
    state: PluginState | None
    enabled: bool
    enabled_inherited: bool
    health: PluginState | None  # the row whose health applies (own, or the global one)
    runs: list[PluginActionRun] = field(default_factory=list)

    @property
    def key(self) -> str:
        return scope_key(self.tenant)

    @property
    def label(self) -> str:
        return self.tenant.name if self.tenant else "Globális (alapértelmezés)"

    @property
    def own_switch(self) -> bool | None:
        return self.state.enabled if self.state else None

    @property
    def health_status(self) -> str:
        if not self.enabled:
            return HealthStatus.DISABLED
        return self.health.health_status if self.health else HealthStatus.UNKNOWN

    @property
    def health_label(self) -> str:
        return HealthStatus(self.health_status).label

    @property
    def health_variant(self) -> str:
        return BADGE_VARIANTS[HealthStatus(self.health_status)]

    @property
    def checked_at(self) -> datetime | None:
        return self.health.health_checked_at if self.health else None

    @property
    def latency_ms(self) -> float | None:
        return self.health.health_latency_ms if self.health else None

    @property
    def last_error(self) -> str:
        return self.health.health_last_error if self.health else ""


@dataclass
class PluginView:
    plugin: PluginAppConfig
    scopes: list[ScopeView]

    @property
    def any_down(self) -> bool:
        return any(s.health_status == HealthStatus.DOWN for s in self.scopes)


def build_overview(
    tenants: Iterable[Tenant], *, include_global: bool = True, plugin_id: str | None = None
) -> list[PluginView]:
    tenants = list(tenants)
    plugins = [p for p in installed_plugins() if plugin_id in (None, p.plugin_id)]
    ids = [p.plugin_id for p in plugins]
    rows = {
        (s.plugin_id, s.tenant_id): s
        for s in PluginState.objects.filter(plugin_id__in=ids).select_related("tenant")
    }
    runs: dict[tuple[str, int | None], list[PluginActionRun]] = {}
    for run in PluginActionRun.objects.filter(plugin_id__in=ids).order_by("-created_at")[:200]:
        bucket = runs.setdefault((run.plugin_id, run.tenant_id), [])
        if len(bucket) < 5:
            bucket.append(run)
    views = []
    for plugin in plugins:
        global_row = rows.get((plugin.plugin_id, None))
        global_enabled = (
            global_row.enabled
            if global_row is not None and global_row.enabled is not None
            else env_default_enabled(plugin)
        )
        scopes = []
        if include_global:
            scopes.append(ScopeView(
                plugin, None, global_row, global_enabled,
                enabled_inherited=global_row is None or global_row.enabled is None,
                health=global_row, runs=runs.get((plugin.plugin_id, None), []),
            ))
        for tenant in tenants:
            row = rows.get((plugin.plugin_id, tenant.pk))
            own = row.enabled if row is not None else None
            own_health = row is not None and row.health_status not in (
                HealthStatus.UNKNOWN, HealthStatus.DISABLED
            )
            scopes.append(ScopeView(
                plugin, tenant, row, global_enabled if own is None else own,
                enabled_inherited=own is None,
                health=row if own_health else global_row,
                runs=runs.get((plugin.plugin_id, tenant.pk), []),
            ))
        views.append(PluginView(plugin, scopes))
    return views


__all__ = ("PluginView", "ScopeView", "build_overview", "scope_key", "tenant_for_scope")
