"""The Twenty connection, read from the CRM plugin's effective settings.

Twenty is one workspace for the whole company, so there is one connection: the global
scope's settings (a tenant's own row may still override them, like every plugin setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..apps import CrmPluginConfig
from ..rate_limit import DEFAULT_CALLS_PER_MINUTE
from .errors import TwentyNotConfigured

PLUGIN_ID = CrmPluginConfig.plugin_id
SYSTEM = "twenty"  # ExternalRef system name for partner -> person links
DEFAULT_TIMEOUT = 30


@dataclass(frozen=True)
class TwentyConfig:
    base_url: str
    api_key: str
    calls_per_minute: int = DEFAULT_CALLS_PER_MINUTE
    timeout: int = DEFAULT_TIMEOUT

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> TwentyConfig:
        """From the plugin's effective settings (crm_api_url, crm_api_key, ...)."""
        base_url = str(settings.get("crm_api_url") or "").rstrip("/")
        api_key = str(settings.get("crm_api_key") or "")
        if not base_url or not api_key:
            raise TwentyNotConfigured("crm_api_url and crm_api_key must be set")
        per_minute = settings.get("crm_rate_limit_per_minute") or DEFAULT_CALLS_PER_MINUTE
        return cls(base_url=base_url, api_key=api_key, calls_per_minute=int(str(per_minute)))


__all__ = ("DEFAULT_TIMEOUT", "PLUGIN_ID", "SYSTEM", "TwentyConfig")
