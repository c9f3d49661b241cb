"""Gamma's inbound sources: Chatwoot's and Twenty's real formats (the connectors' signature
schemes) on the bus's generic signed-JSON source."""

from __future__ import annotations

from apps.crm_plugin.twenty.webhooks import SIGNATURE as TWENTY_SIGNATURE
from apps.plugin_manager import runtime
from apps.plugin_manager.eventbus.inbox.sources import PayloadSchema, SignedJsonSource
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE
from kgc_erp.tenants.models import Tenant

HANDLE = "tests.plugin_fixtures.gamma.inbound.record"


class GammaChatwootSource(SignedJsonSource):
    signature = CHATWOOT_SIGNATURE
    event_field = "event"
    tenant_scoped = True
    handlers = {
        "conversation_created": HANDLE,
        "message_created": HANDLE,
        "contact_updated": HANDLE,
    }
    schemas = {"conversation_created": PayloadSchema(required={"id": int, "account.id": int})}

    def secret_for(self, tenant: Tenant | None) -> str | None:
        settings = runtime.get_plugin_settings("gamma", tenant.pk if tenant else None)
        return str(settings.get("chatwoot_secret") or "") or None

    def check_tenant(self, tenant: Tenant | None, payload: dict) -> str | None:
        settings = runtime.get_plugin_settings("gamma", tenant.pk if tenant else None)
        expected = settings.get("chatwoot_account_id")
        account = payload.get("account")
        account_id = account.get("id") if isinstance(account, dict) else None
        if expected is not None and account_id != expected:
            return "account_mismatch"
        return None


class GammaTwentySource(SignedJsonSource):
    signature = TWENTY_SIGNATURE
    event_field = "eventName"
    handlers = {"person.created": HANDLE, "person.updated": HANDLE}

    def secret_for(self, tenant: Tenant | None) -> str | None:
        return str(runtime.get_plugin_settings("gamma", None).get("twenty_secret") or "") or None
