"""The Twenty connector's event names: the webhooks Twenty sends us (NOTES.md §6).

Twenty names its events ``<object>.<operation>``. The connector emits no events of its own
into the outbox (``EMITTED`` is empty); a won opportunity becomes a tenant directly.
"""

from __future__ import annotations

# Inbound (Twenty -> us)
OPPORTUNITY_CREATED = "opportunity.created"
OPPORTUNITY_UPDATED = "opportunity.updated"
PERSON_UPDATED = "person.updated"

EMITTED: tuple[str, ...] = ()

__all__ = ("EMITTED", "OPPORTUNITY_CREATED", "OPPORTUNITY_UPDATED", "PERSON_UPDATED")
