"""The inbound Twenty webhook source: POST /webhooks/twenty/ (signature per NOTES.md §6,
checked by the event bus's inbox before anything is stored)."""

from __future__ import annotations

from apps.plugin_manager.eventbus.inbox.sources import TwentySource as BaseTwentySource
from apps.plugin_manager.runtime import get_plugin_settings
from kgc_erp.tenants.models import Tenant

INBOUND = "apps.crm_plugin.twenty.inbound"


class TwentySource(BaseTwentySource):
    name = "twenty"
    handlers = {
        "opportunity.updated": f"{INBOUND}.on_opportunity_updated",
        "opportunity.created": f"{INBOUND}.on_opportunity_updated",
        "person.updated": f"{INBOUND}.on_person_updated",
    }

    def secret_for(self, tenant: Tenant | None) -> str | None:
        # One workspace, one webhook secret: the global scope's.
        secret = get_plugin_settings("crm", None).get("crm_webhook_secret")
        return str(secret) if secret else None


__all__ = ("TwentySource",)
