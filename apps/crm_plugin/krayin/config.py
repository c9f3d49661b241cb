"""The Krayin connection, read from the CRM plugin's effective settings of a scope.

Unlike Twenty (one workspace for the company), Krayin may differ per tenant: a franchise
store can run its own Krayin, so every use is built from the tenant's effective settings
(`settings_for(tenant)`; env < global < tenant, resolved by the plugin manager).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from apps.plugin_manager.runtime import get_plugin_settings
from kgc_erp.tenants.models import Tenant

from ..apps import CrmPluginConfig
from .errors import KrayinNotConfigured

PLUGIN_ID = CrmPluginConfig.plugin_id
SYSTEM = "krayin"  # ExternalRef system: partner -> person, history row -> activity
LEAD_SYSTEM = "krayin.lead"  # ExternalRef system: Chatwoot conversation -> lead
BACKEND = "krayin"  # the value of the plugin's `crm_backend` setting
DEFAULT_TIMEOUT = 20
# Krayin's throttle:api is 60 requests per minute per user (NOTES.md §1).
DEFAULT_CALLS_PER_MINUTE = 60
DEVICE_NAME = "kgc-erp"


@dataclass(frozen=True)
class KrayinConfig:
    api_url: str  # APP_URL + "/api/v1"
    email: str
    password: str = ""
    calls_per_minute: int = DEFAULT_CALLS_PER_MINUTE
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> KrayinConfig:
        """From the plugin's effective settings (krayin_api_url, krayin_email, ...)."""
        api_url = str(settings.get("krayin_api_url") or "").rstrip("/")
        email = str(settings.get("krayin_email") or "")
        password = str(settings.get("krayin_password") or "")
        if not api_url or not email or not password:
            raise KrayinNotConfigured(
                "krayin_api_url, krayin_email and krayin_password must be set"
            )
        per_minute = settings.get("krayin_rate_limit_per_minute") or DEFAULT_CALLS_PER_MINUTE
        return cls(api_url=api_url, email=email, password=password,
                   calls_per_minute=int(str(per_minute)))  # fmt: skip

    @property
    def account_key(self) -> str:
        """One Krayin user of one instance: what the token cache and the rate limit are
        keyed on (every login of that user revokes the others' tokens)."""
        raw = f"{self.api_url}|{self.email.lower()}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    @property
    def instance_key(self) -> str:
        """Short, stable id of the Krayin instance (lead ids are unique only within one)."""
        return hashlib.sha256(self.api_url.encode()).hexdigest()[:8]


def settings_for(tenant: Tenant | int | None) -> KrayinConfig:
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    return KrayinConfig.from_settings(get_plugin_settings(PLUGIN_ID, tenant_id))


__all__ = ("BACKEND", "DEFAULT_TIMEOUT", "LEAD_SYSTEM", "PLUGIN_ID", "SYSTEM", "KrayinConfig",
           "settings_for")
