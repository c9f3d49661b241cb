"""The Chatwoot connection a tenant uses: plugin settings, overridden by the tenant's own
account (``ChatwootAccount``) once the franchise bootstrap created one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings as django_settings

from apps.plugin_manager.runtime import get_plugin_settings
from kgc_erp.tenants.models import Tenant

from ..apps import SupportPluginConfig
from .client import DEFAULT_TIMEOUT, ChatwootClient, Connection
from .models import ChatwootAccount

PLUGIN_ID = SupportPluginConfig.plugin_id
SYSTEM = "chatwoot"  # ExternalRef system name for partner -> contact links


class NotConfigured(Exception):
    """The tenant has no usable Chatwoot connection (URL, token or account missing)."""


def _int(value: object) -> int | None:
    try:
        # call-overload: any stored value is tried; those int() refuses give None below.
        return int(value) if value not in (None, "") else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ChatwootSettings:
    api_url: str
    api_token: str
    account_id: int | None
    inbox_id: int | None
    webhook_secret: str
    platform_token: str
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    @property
    def is_configured(self) -> bool:
        return bool(self.api_url and self.api_token and self.account_id)

    def connection(self) -> Connection:
        if not self.is_configured:
            raise NotConfigured("Chatwoot API URL, key or account id missing")
        assert self.account_id is not None
        return Connection(self.api_url, self.api_token, self.account_id, self.timeout)

    def client(self) -> ChatwootClient:
        return ChatwootClient(self.connection())


def http_timeout() -> tuple[float, float]:
    """(connect, read) seconds; ``CHATWOOT_READ_TIMEOUT_SECONDS`` overrides the read part."""
    read = getattr(django_settings, "CHATWOOT_READ_TIMEOUT_SECONDS", None)
    return (DEFAULT_TIMEOUT[0], float(read)) if read else DEFAULT_TIMEOUT


def from_plugin_settings(values: Mapping[str, object]) -> ChatwootSettings:
    return ChatwootSettings(
        api_url=str(values.get("chatwoot_api_url") or ""),
        api_token=str(values.get("chatwoot_api_key") or ""),
        account_id=_int(values.get("chatwoot_account_id")),
        inbox_id=_int(values.get("chatwoot_inbox_id")),
        webhook_secret=str(values.get("chatwoot_webhook_secret") or ""),
        platform_token=str(values.get("chatwoot_platform_api_key") or ""),
        timeout=http_timeout(),
    )


def settings_for(tenant: Tenant, values: Mapping[str, object] | None = None) -> ChatwootSettings:
    """The effective connection of ``tenant``. ``values`` are the plugin settings when the
    caller already has them (a DeliveryContext does); else they are read."""
    if values is None:
        values = get_plugin_settings(PLUGIN_ID, tenant.pk)
    base = from_plugin_settings(values)
    own = ChatwootAccount.objects.filter(tenant=tenant).first()
    if own is None or not own.is_complete:
        return base
    return ChatwootSettings(
        api_url=base.api_url,
        api_token=own.api_token,
        account_id=own.account_id,
        inbox_id=own.inbox_id or base.inbox_id,
        webhook_secret=own.webhook_secret or base.webhook_secret,
        platform_token=base.platform_token,
        timeout=base.timeout,
    )


__all__ = (
    "PLUGIN_ID",
    "SYSTEM",
    "ChatwootSettings",
    "NotConfigured",
    "from_plugin_settings",
    "settings_for",
)
