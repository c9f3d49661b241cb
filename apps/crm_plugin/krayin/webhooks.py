"""The inbound Krayin source: ``POST /webhooks/krayin/<tenant_slug>/``.

Krayin's workflow "trigger webhook" action signs nothing (NOTES.md, sandbox README): the
admin adds a header `X-KGC-Krayin-Secret: <krayin_webhook_secret>` to the action, and
this source compares it in constant time. The payload is whatever template the admin
set, and cannot name the lead, so every accepted push is the one event "leads changed";
each push gets its own delivery id, since two pushes with identical display values (the
same lead moved back and forth) are still two changes.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from apps.plugin_manager.eventbus.inbox.sources import InboundSource
from apps.plugin_manager.eventbus.signatures import Verification, header
from apps.plugin_manager.runtime import get_plugin_settings
from kgc_erp.tenants.models import Tenant

from . import event_types as events
from .config import PLUGIN_ID

SECRET_HEADER = "X-KGC-Krayin-Secret"
INBOUND = "apps.crm_plugin.krayin.inbound"


class KrayinSource(InboundSource):
    tenant_scoped = True
    handlers = {events.LEADS_CHANGED: f"{INBOUND}.on_leads_changed"}
    stored_headers = ("Content-Type", "User-Agent")

    def secret_for(self, tenant: Tenant | None) -> str | None:
        secret = get_plugin_settings(PLUGIN_ID, tenant.pk if tenant else None).get(
            "krayin_webhook_secret"
        )
        return str(secret) if secret else None

    def verify(self, headers: Mapping[str, str], raw_body: bytes, secret: str,
               now: datetime) -> Verification:
        given = header(headers, SECRET_HEADER) or ""
        if not given:
            return Verification(False, "missing_signature")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Verification(False, "bad_signature")
        return Verification(True, "ok", delivery_id=f"krayin-{uuid.uuid4().hex}", timestamp=now)

    def event_type(self, payload: dict[str, Any]) -> str:
        return events.LEADS_CHANGED


__all__ = ("SECRET_HEADER", "KrayinSource")
