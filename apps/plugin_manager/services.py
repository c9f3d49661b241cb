"""Use cases that change plugin state. The admin and the `plugins` command both call these,
so validation, auditing and the `plugin_toggled` signal are the same from either side."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.contrib.auth.models import User
from django.db import transaction

from kgc_erp.tenants.models import Tenant

from .models import PluginState, PluginToggleAudit
from .plugins import PluginAppConfig
from .registry import get_plugin
from .runtime import env_default_enabled, is_enabled
from .settings_values import effective_settings, encode_for_storage, validate_effective
from .signals import plugin_settings_changed, plugin_toggled
from .status import HealthStatus

log = logging.getLogger("plugin_manager.services")

CLI_ACTOR = "cli"


def scope_label(tenant: Tenant | None) -> str:
    return tenant.name if tenant is not None else "Globális"


def audit(
    plugin_id: str,
    tenant: Tenant | None,
    action: str,
    *,
    user: User | None,
    details: Mapping[str, object] | None = None,
) -> PluginToggleAudit:
    return PluginToggleAudit.objects.create(
        plugin_id=plugin_id,
        tenant=tenant,
        scope_label=scope_label(tenant),
        user=user if user is not None and user.is_authenticated else None,
        actor=user.get_username() if user is not None else CLI_ACTOR,
        action=action,
        details=dict(details or {}),
    )


def _locked_state(plugin_id: str, tenant: Tenant | None) -> PluginState:
    state, _ = PluginState.objects.select_for_update().get_or_create(
        plugin_id=plugin_id, tenant=tenant
    )
    return state


def scope_settings(
    plugin: PluginAppConfig, tenant: Tenant | None, own_stored: Mapping[str, object]
) -> dict[str, object]:
    """Effective settings of a scope as they would be with `own_stored` in its row."""
    if tenant is None:
        return effective_settings(plugin.settings_schema, own_stored, None)
    global_row = PluginState.objects.filter(plugin_id=plugin.plugin_id, tenant__isnull=True).first()
    return effective_settings(
        plugin.settings_schema, global_row.settings if global_row else None, own_stored
    )


def _effective_after(plugin: PluginAppConfig, tenant: Tenant | None, enabled: bool | None) -> bool:
    if enabled is not None:
        return enabled
    if tenant is not None:
        return is_enabled(plugin.plugin_id, None)  # the tenant inherits the global scope
    return env_default_enabled(plugin)


def set_enabled(
    plugin_id: str,
    tenant: Tenant | None,
    enabled: bool | None,
    *,
    user: User | None = None,
) -> bool:
    """Switch a plugin on (True), off (False) or back to inheriting (None) for one scope.

    Switching on validates the scope's effective settings first (ValidationError keyed by
    field). Returns the effective state of the scope afterwards.
    """
    plugin = get_plugin(plugin_id)
    tenant_id = tenant.pk if tenant is not None else None
    with transaction.atomic():
        state = _locked_state(plugin_id, tenant)
        before = is_enabled(plugin_id, tenant_id)
        after = _effective_after(plugin, tenant, enabled)
        if after:
            # Validated against the settings the scope will run with, before anything changes.
            validate_effective(
                plugin.settings_schema, scope_settings(plugin, tenant, state.settings)
            )
        state.enabled = enabled
        state.save(update_fields=["enabled", "updated_at"])
        if after != before:
            # A stale DOWN from before must not hold deliveries; the next check sets it anew.
            state.health_status = HealthStatus.UNKNOWN if after else HealthStatus.DISABLED
            state.health_last_error = ""
            state.save(update_fields=["health_status", "health_last_error", "updated_at"])
        action = {
            True: PluginToggleAudit.Action.ENABLE,
            False: PluginToggleAudit.Action.DISABLE,
            None: PluginToggleAudit.Action.INHERIT,
        }[enabled]
        audit(plugin_id, tenant, action, user=user,
              details={"before": before, "after": after, "row_value": enabled})
        transaction.on_commit(
            lambda: plugin_toggled.send(
                sender=PluginState, plugin_id=plugin_id, tenant_id=tenant_id, enabled=after
            )
        )
    log.info("plugin %s %s for %s by %s", plugin_id, "enabled" if after else "disabled",
             scope_label(tenant), user.get_username() if user else CLI_ACTOR)
    return after


def update_settings(
    plugin_id: str,
    tenant: Tenant | None,
    changes: Mapping[str, object],
    *,
    clear: Iterable[str] = (),
    user: User | None = None,
) -> PluginState:
    """Store new values for one scope. Empty values inherit again; an empty secret keeps
    the stored one unless its name is in `clear`. While the scope is enabled the result
    must still be a complete configuration (ValidationError keyed by field otherwise)."""
    plugin = get_plugin(plugin_id)
    clear = list(clear)
    with transaction.atomic():
        state = _locked_state(plugin_id, tenant)
        new_stored = encode_for_storage(plugin.settings_schema, state.settings, changes, clear)
        if is_enabled(plugin_id, tenant.pk if tenant else None):
            validate_effective(plugin.settings_schema, scope_settings(plugin, tenant, new_stored))
        secret_names = {f.name for f in plugin.settings_schema if f.is_secret}
        changed = sorted(
            name for name in set(new_stored) | set(state.settings)
            if new_stored.get(name) != state.settings.get(name)
        )
        if not changed:
            return state
        before = scope_settings(plugin, tenant, state.settings)
        state.settings = new_stored
        state.save(update_fields=["settings", "updated_at"])
        audit(plugin_id, tenant, PluginToggleAudit.Action.SETTINGS, user=user, details={
            # Secrets are named, never valued, in the audit trail.
            "changed": {n: new_stored.get(n) for n in changed if n not in secret_names},
            "secrets_changed": [n for n in changed if n in secret_names],
        })
        after = scope_settings(plugin, tenant, new_stored)
        plugin_settings_changed.send(
            sender=PluginState, plugin_id=plugin_id, tenant_id=tenant.pk if tenant else None,
            changed=changed, before=_without(before, secret_names),
            after=_without(after, secret_names),
        )  # fmt: skip
    return state


def _without(values: Mapping[str, object], names: set[str]) -> dict[str, object]:
    """The settings a receiver of plugin_settings_changed sees: no secret values."""
    return {k: v for k, v in values.items() if k not in names}


__all__ = ("CLI_ACTOR", "audit", "scope_label", "scope_settings", "set_enabled",
           "update_settings")
