"""Whether the support plugin is switched on for a tenant (the plugin manager decides)."""

from __future__ import annotations

from apps.plugin_manager.runtime import is_enabled
from apps.support_plugin.apps import SupportPluginConfig

SUPPORT_PLUGIN_ID = SupportPluginConfig.plugin_id

# A switch made in another process (the admin, a command) reaches the API within this many
# seconds: each process confirms its copy of the plugin state at most once a second
# instead of reading the shared version key on every request. A switch made in the same
# process is seen at once.
SWITCH_STALENESS_SECONDS = 1.0


def support_enabled_for(tenant_id: int) -> bool:
    """The tenant's own switch, else the global one, else SUPPORT_MODULE_ENABLED."""
    return is_enabled(SUPPORT_PLUGIN_ID, tenant_id, max_staleness=SWITCH_STALENESS_SECONDS)
