"""The inbound Chatwoot webhook source: ``POST /webhooks/chatwoot/<tenant_slug>/``.

Chatwoot's signature (NOTES.md §10): ``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret,
"<X-Chatwoot-Timestamp>.<raw body>")>``, the timestamp in unix seconds, the delivery id in
``X-Chatwoot-Delivery``. The event bus verifies it with the scheme below, checks each
handled event's payload against its schema, and stores the delivery; this class adds the
per-tenant secret, the check that the payload's account is the tenant's own account, and
the handler table.
"""

from __future__ import annotations

from typing import Any

from apps.plugin_manager.eventbus.inbox.sources import PayloadSchema, SignedJsonSource
from apps.plugin_manager.eventbus.signatures import SignatureScheme
from kgc_erp.tenants.models import Tenant

from . import event_types as events
from .webhook_settings import webhook_settings_for

SIGNATURE = SignatureScheme(
    signature_header="X-Chatwoot-Signature",
    timestamp_header="X-Chatwoot-Timestamp",
    delivery_header="X-Chatwoot-Delivery",
    separator=b".",
    prefix="sha256=",
    milliseconds=False,
)

HANDLERS = "apps.support_plugin.chatwoot.inbound"
_ACCOUNT = {"account.id": int}
_CONTACT = PayloadSchema(
    required={**_ACCOUNT, "id": int},
    optional={"email": (str, type(None)), "phone_number": (str, type(None)),
              "identifier": (str, type(None)), "custom_attributes": (dict, type(None))},
)


class ChatwootSource(SignedJsonSource):
    signature = SIGNATURE
    event_field = "event"
    tenant_scoped = True
    handlers = {
        events.CONVERSATION_CREATED: f"{HANDLERS}.on_conversation_created",
        events.CONVERSATION_STATUS_CHANGED: f"{HANDLERS}.on_conversation_status_changed",
        events.CONTACT_CREATED: f"{HANDLERS}.on_contact_changed",
        events.CONTACT_UPDATED: f"{HANDLERS}.on_contact_changed",
        events.MESSAGE_CREATED: f"{HANDLERS}.on_message_created",
        events.CONVERSATION_UPDATED: f"{HANDLERS}.on_conversation_updated",
        events.MESSAGE_UPDATED: f"{HANDLERS}.on_message_updated",
    }
    schemas = {
        events.CONVERSATION_CREATED: PayloadSchema(
            required={**_ACCOUNT, "id": int},
            optional={"messages": (list, type(None)), "meta": (dict, type(None)),
                      "meta.sender": (dict, type(None)), "status": (str, type(None)),
                      "custom_attributes": (dict, type(None)),
                      "inbox_id": (int, type(None))},
        ),
        events.CONVERSATION_STATUS_CHANGED: PayloadSchema(
            required={**_ACCOUNT, "id": int}, optional={"status": (str, type(None))}
        ),
        events.CONTACT_CREATED: _CONTACT,
        events.CONTACT_UPDATED: _CONTACT,
        events.MESSAGE_CREATED: PayloadSchema(
            required={**_ACCOUNT, "id": int, "conversation.id": int},
            optional={"content": (str, type(None)), "message_type": (str, int),
                      "private": bool, "sender": (dict, type(None)),
                      "conversation.status": str, "inbox.id": int},
        ),
        events.CONVERSATION_UPDATED: PayloadSchema(
            required={**_ACCOUNT, "id": int},
            optional={"custom_attributes": (dict, type(None)),
                      "changed_attributes": (list, type(None)), "status": (str, type(None))},
        ),
        events.MESSAGE_UPDATED: PayloadSchema(
            required={**_ACCOUNT, "id": int, "conversation.id": int},
            optional={"content_type": (str, type(None)),
                      "content_attributes": (dict, type(None)),
                      "message_type": (str, int)},
        ),
    }

    def secret_for(self, tenant: Tenant | None) -> str | None:
        if tenant is None:
            return None
        return webhook_settings_for(tenant).webhook_secret or None

    def check_tenant(self, tenant: Tenant | None, payload: dict[str, Any]) -> str | None:
        """A webhook for another tenant's Chatwoot account is refused (403), so it can
        never touch this tenant's partners."""
        if tenant is None:
            return "tenant required"
        account = payload.get("account")
        account_id = account.get("id") if isinstance(account, dict) else None
        if not isinstance(account_id, int):
            return "payload names no Chatwoot account"
        expected = webhook_settings_for(tenant).account_id
        if expected is None or account_id != expected:
            return f"account {account_id} does not belong to tenant {tenant.slug}"
        return None


__all__ = ("SIGNATURE", "ChatwootSource")
