"""The inbound Twenty webhook source: ``POST /webhooks/twenty/``.

Twenty's signature (NOTES.md §6): ``X-Twenty-Webhook-Signature: <hex HMAC-SHA256(secret,
"<X-Twenty-Webhook-Timestamp>:<raw body>")>``, the timestamp in unix milliseconds, and a
``X-Twenty-Webhook-Nonce`` that is not signed but recognises a replayed delivery. One
workspace serves the whole company, so the source is global and its secret is the
global scope's.
"""

from __future__ import annotations

from apps.plugin_manager.eventbus.inbox.sources import PayloadSchema, SignedJsonSource
from apps.plugin_manager.eventbus.signatures import SignatureScheme
from apps.plugin_manager.runtime import get_plugin_settings
from kgc_erp.tenants.models import Tenant

from . import event_types as events
from .config import PLUGIN_ID

SIGNATURE = SignatureScheme(
    signature_header="X-Twenty-Webhook-Signature",
    timestamp_header="X-Twenty-Webhook-Timestamp",
    delivery_header="X-Twenty-Webhook-Nonce",
    separator=b":",
    prefix="",
    milliseconds=True,
)

INBOUND = "apps.crm_plugin.twenty.inbound"
_RECORD = PayloadSchema(required={"record": dict, "record.id": str})


class TwentySource(SignedJsonSource):
    signature = SIGNATURE
    event_field = "eventName"
    tenant_scoped = False
    handlers = {
        events.OPPORTUNITY_UPDATED: f"{INBOUND}.on_opportunity_updated",
        events.OPPORTUNITY_CREATED: f"{INBOUND}.on_opportunity_updated",
        events.PERSON_UPDATED: f"{INBOUND}.on_person_updated",
    }
    schemas = {
        events.OPPORTUNITY_UPDATED: _RECORD,
        events.OPPORTUNITY_CREATED: _RECORD,
        events.PERSON_UPDATED: PayloadSchema(
            required={"record": dict, "record.id": str},
            optional={"updatedFields": (list, type(None))},
        ),
    }

    def secret_for(self, tenant: Tenant | None) -> str | None:
        secret = get_plugin_settings(PLUGIN_ID, None).get("crm_webhook_secret")
        return str(secret) if secret else None


__all__ = ("SIGNATURE", "TwentySource")
