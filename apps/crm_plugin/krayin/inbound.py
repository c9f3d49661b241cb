"""Handlers of Krayin's workflow webhooks (run by the inbox task; retried, so idempotent).

A push cannot say which lead changed, so it only triggers the lead poll of the tenant's
Krayin (`lead_poll.poll_leads`), which turns won leads into franchise tenants.
"""

from __future__ import annotations

from typing import Any

from apps.plugin_manager.eventbus.models import InboundDelivery

from .client import KrayinClient
from .config import settings_for
from .lead_poll import poll_leads


def on_leads_changed(delivery: InboundDelivery, payload: dict[str, Any]) -> None:
    if delivery.tenant is None:
        raise ValueError("Krayin deliveries are tenant-scoped")
    with KrayinClient(settings_for(delivery.tenant)) as client:
        poll_leads(client)


__all__ = ("on_leads_changed",)
