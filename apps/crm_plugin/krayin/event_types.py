"""The Krayin connector's event names.

Krayin pushes only through a workflow's "trigger webhook" action, whose payload cannot
name the lead (`{%leads.id%}` is sent literally), so every push is one inbound event,
"something changed", and the handler polls. The connector emits nothing into the outbox.
"""

from __future__ import annotations

# Inbound (Krayin -> us): any workflow push.
LEADS_CHANGED = "krayin.leads_changed"

EMITTED: tuple[str, ...] = ()

__all__ = ("EMITTED", "LEADS_CHANGED")
