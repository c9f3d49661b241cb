"""The GLPI connection and mirror options a tenant uses, from the plugin's effective
settings (env < global < tenant, resolved by the plugin manager; secrets decrypted)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings as django_settings

from apps.plugin_manager.runtime import get_plugin_settings
from kgc_erp.tenants.models import Tenant

from .apps import GlpiConfig
from .client import DEFAULT_TIMEOUT, Connection, GlpiClient
from .errors import NotConfigured
from .sessions import session_for

PLUGIN_ID = GlpiConfig.plugin_id
SYSTEM = "glpi"  # ExternalRef system name (partner / contact -> GLPI User or Contact)

RequesterKind = Literal["user", "contact"]


def _int(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def parse_label_categories(value: object) -> dict[str, int]:
    """``"javitas=12, berles=14"`` -> ``{"javitas": 12, "berles": 14}`` (bad pairs skipped)."""
    pairs: dict[str, int] = {}
    for item in str(value or "").split(","):
        label, _, category = item.partition("=")
        number = _int(category.strip())
        if label.strip() and number is not None:
            pairs[label.strip().lower()] = number
    return pairs


def http_timeout() -> tuple[float, float]:
    read = getattr(django_settings, "GLPI_READ_TIMEOUT_SECONDS", None)
    return (DEFAULT_TIMEOUT[0], float(read)) if read else DEFAULT_TIMEOUT


@dataclass(frozen=True)
class GlpiSettings:
    api_url: str
    user_token: str
    app_token: str = ""
    entity_id: int | None = None
    requester_kind: RequesterKind = "user"
    mirror_bot_messages: bool = False
    poll_interval_minutes: int = 5
    ticket_type: int = 1
    label_categories: Mapping[str, int] = field(default_factory=dict)
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    @property
    def is_configured(self) -> bool:
        return bool(self.api_url and self.user_token)

    def connection(self) -> Connection:
        if not self.is_configured:
            raise NotConfigured("GLPI API URL or user token missing")
        return Connection(self.api_url, self.user_token, self.app_token, self.timeout)

    def client(self, tenant_id: int | None) -> GlpiClient:
        """A client on this process's shared session of the tenant."""
        return GlpiClient(session_for(tenant_id, self.connection()))


def from_settings(values: Mapping[str, object]) -> GlpiSettings:
    kind: RequesterKind = (
        "contact" if str(values.get("glpi_requester_kind") or "").strip().lower() == "contact"
        else "user")
    ticket_type = _int(values.get("glpi_ticket_type"))
    return GlpiSettings(
        api_url=str(values.get("glpi_api_url") or ""),
        user_token=str(values.get("glpi_user_token") or ""),
        app_token=str(values.get("glpi_app_token") or ""),
        entity_id=_int(values.get("glpi_entity_id")),
        requester_kind=kind,
        mirror_bot_messages=bool(values.get("glpi_mirror_bot_messages")),
        poll_interval_minutes=max(1, _int(values.get("glpi_poll_interval_minutes")) or 5),
        ticket_type=ticket_type if ticket_type in (1, 2) else 1,
        label_categories=parse_label_categories(values.get("glpi_label_categories")),
        timeout=http_timeout(),
    )


def settings_for(tenant: Tenant, values: Mapping[str, object] | None = None) -> GlpiSettings:
    """The tenant's effective GLPI settings (``values`` when the caller has them already,
    as a DeliveryContext does)."""
    if values is None:
        values = get_plugin_settings(PLUGIN_ID, tenant.pk)
    return from_settings(values)


__all__ = (
    "PLUGIN_ID",
    "SYSTEM",
    "GlpiSettings",
    "NotConfigured",
    "from_settings",
    "parse_label_categories",
    "settings_for",
)
