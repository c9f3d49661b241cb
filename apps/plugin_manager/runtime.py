"""Run-time questions other code asks the plugin manager (the event bus on every save,
handlers on every delivery). Answers come from the in-process state snapshot, so they
cost one cache read (none inside `snapshot.pin()`), and reflect admin/command changes on
the next call.

Precedence for a (plugin, tenant) scope: the tenant row, then the global row, then the
env flag named by the plugin's `enabled_setting` (False when it has none). A plugin that is
not installed is never enabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from django.conf import settings as django_settings

from .plugins import PluginAppConfig
from .registry import UnknownPlugin, get_plugin, installed_plugins, is_installed
from .registry import subscription_index as _subscription_index
from .settings_values import effective_settings
from .snapshot import ScopeKey, StateRow, current_rows, current_snapshot
from .status import HealthStatus

_NOT_OWN_HEALTH = (HealthStatus.UNKNOWN, HealthStatus.DISABLED)


def _enabled_in(
    rows: Mapping[ScopeKey, StateRow], plugin_id: str, tenant_id: int | None
) -> bool:
    if tenant_id is not None:
        row = rows.get((plugin_id, tenant_id))
        if row is not None and row.enabled is not None:
            return row.enabled
    row = rows.get((plugin_id, None))
    if row is not None and row.enabled is not None:
        return row.enabled
    return env_default_enabled(get_plugin(plugin_id))


def env_default_enabled(plugin: PluginAppConfig) -> bool:
    """The initial global state, from the Django setting the manifest names."""
    if not plugin.enabled_setting:
        return False
    return bool(getattr(django_settings, plugin.enabled_setting, False))


def is_enabled(plugin_id: str, tenant_id: int | None, *, max_staleness: float = 0.0) -> bool:
    """`max_staleness` > 0: a switch made in another process may be seen up to that many
    seconds late, and the state version is read at most that often (snapshot.py)."""
    if not is_installed(plugin_id):
        return False
    return _enabled_in(current_snapshot(max_staleness).rows, plugin_id, tenant_id)


def get_plugin_settings(plugin_id: str, tenant_id: int | None) -> dict[str, object]:
    """Effective settings of the scope, secrets decrypted. Raises UnknownPlugin."""
    plugin = get_plugin(plugin_id)
    snapshot = current_snapshot()
    memo_key = ("effective_settings", plugin_id, tenant_id)
    values = cast("dict[str, object] | None", snapshot.memo.get(memo_key))
    if values is None:
        # Decrypting secrets is the costly part; the rows (hence the result) are fixed
        # for the snapshot's life.
        global_row = snapshot.rows.get((plugin_id, None))
        tenant_row = snapshot.rows.get((plugin_id, tenant_id)) if tenant_id is not None else None
        values = effective_settings(
            plugin.settings_schema,
            global_row.settings if global_row else None,
            tenant_row.settings if tenant_row else None,
        )
        snapshot.memo[memo_key] = values
    return dict(values)  # the caller's own copy


def subscribers_for_event(event_type: str, tenant_id: int | None) -> list[tuple[str, str]]:
    """(plugin_id, handler dotted path) of every enabled plugin subscribed to event_type."""
    subscriptions = _subscription_index().get(event_type)
    if not subscriptions:
        return []  # nobody listens: not even the cache is touched
    rows = current_rows()
    return [
        (plugin_id, handler)
        for plugin_id, handler in subscriptions
        if _enabled_in(rows, plugin_id, tenant_id)
    ]


def health_status(plugin_id: str, tenant_id: int | None) -> str:
    """The latest health of the scope: the tenant's own check if it has one, else global."""
    rows = current_rows()
    if tenant_id is not None:
        row = rows.get((plugin_id, tenant_id))
        # UNKNOWN: never checked on its own; DISABLED: checked while it was off, so stale
        # for a tenant that now inherits an enabled global scope.
        if row is not None and row.health_status not in _NOT_OWN_HEALTH:
            return row.health_status
    row = rows.get((plugin_id, None))
    return row.health_status if row is not None else HealthStatus.UNKNOWN


def is_circuit_open(plugin_id: str, tenant_id: int | None) -> bool:
    """True while the latest health check says DOWN: deliveries wait instead of failing."""
    return health_status(plugin_id, tenant_id) == HealthStatus.DOWN


__all__ = (
    "UnknownPlugin",
    "env_default_enabled",
    "get_plugin",
    "get_plugin_settings",
    "health_status",
    "installed_plugins",
    "is_circuit_open",
    "is_enabled",
    "subscribers_for_event",
)
