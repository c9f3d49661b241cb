"""Bumping a ticket's `date_mod` when something attached to it changes (followups, actors)."""

from __future__ import annotations

from sandboxes.glpi.context import WriteContext
from sandboxes.glpi.jsontypes import Row


def touch_ticket(ctx: WriteContext, ticket: Row, users_id: int) -> None:
    ticket["date_mod"] = ctx.store.clock.now_text()
    ticket["users_id_lastupdater"] = users_id
