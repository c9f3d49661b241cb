"""The inbound Chatwoot webhook source: ``POST /webhooks/chatwoot/<tenant_slug>/``.

Verification (HMAC of the raw body, timestamp window, replayed delivery ids) is the event
bus's (``ChatwootSource`` base); this class adds the per-tenant secret, the check that the
payload's account is the tenant's own account, and the handler table.
"""

from __future__ import annotations

from typing import Any

from apps.plugin_manager.eventbus.inbox.sources import ChatwootSource as BaseChatwootSource
from kgc_erp.tenants.models import Tenant

from .config import settings_for

HANDLERS = "apps.support_plugin.chatwoot.inbound"


class ChatwootSource(BaseChatwootSource):
    handlers = {
        "conversation_created": f"{HANDLERS}.on_conversation_created",
        "conversation_status_changed": f"{HANDLERS}.on_conversation_status_changed",
        "contact_created": f"{HANDLERS}.on_contact_changed",
        "contact_updated": f"{HANDLERS}.on_contact_changed",
        "message_created": f"{HANDLERS}.on_message_created",
    }

    def secret_for(self, tenant: Tenant | None) -> str | None:
        if tenant is None:
            return None
        return settings_for(tenant).webhook_secret or None

    def check_tenant(self, tenant: Tenant | None, payload: dict[str, Any]) -> str | None:
        """A webhook for another tenant's Chatwoot account is refused (403), so it can
        never touch this tenant's partners."""
        if tenant is None:
            return "tenant required"
        account = payload.get("account")
        account_id = account.get("id") if isinstance(account, dict) else None
        if not isinstance(account_id, int):
            return "payload names no Chatwoot account"
        expected = settings_for(tenant).account_id
        if expected is None or account_id != expected:
            return f"account {account_id} does not belong to tenant {tenant.slug}"
        return None


__all__ = ("ChatwootSource",)
