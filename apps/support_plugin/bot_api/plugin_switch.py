"""Whether the support plugin is switched on for a tenant (the plugin manager decides)."""

from __future__ import annotations

from apps.plugin_manager.runtime import is_enabled
from apps.support_plugin.apps import SupportPluginConfig

SUPPORT_PLUGIN_ID = SupportPluginConfig.plugin_id


def support_enabled_for(tenant_id: int) -> bool:
    """The tenant's own switch, else the global one, else SUPPORT_MODULE_ENABLED."""
    return is_enabled(SUPPORT_PLUGIN_ID, tenant_id)
