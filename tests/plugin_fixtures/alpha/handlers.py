"""Event handlers of the alpha test plugin."""

from __future__ import annotations

from typing import Any

from . import client


def push_partner(context: Any) -> None:
    """Send the partner's current state (re-read, never the event's snapshot)."""
    partner = context.load_object()
    if partner is None:
        return
    client.push_partner(
        context.settings,
        {"id": partner.pk, "name": partner.name, "phone": partner.phone,
         "tenant_id": partner.tenant_id, "plugin": context.plugin_id},
    )
