"""ITILFollowup rules: the parent ticket must exist and be open to followups, content is
required, and a followup moves the ticket (date_mod, reopen on a requester's answer)."""

from __future__ import annotations

from sandboxes.glpi.actors import REQUESTER, user_ids
from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.errors import PERMISSION_DENIED
from sandboxes.glpi.items_touch import touch_ticket
from sandboxes.glpi.jsontypes import JsonObject, Row, as_int, as_str, truthy
from sandboxes.glpi.rules import Rules
from sandboxes.glpi.tickets import CLOSED, SOLVED, WAITING, reopen_status, set_status
from sandboxes.glpi.visibility import visible

TIMELINE_LEFT, TIMELINE_RIGHT = 1, 4  # requester's side, technician's side


class FollowupRules(Rules):
    def special_inputs(self) -> frozenset[str]:
        return frozenset({"add_close", "add_reopen"})

    def _ticket(self, ctx: WriteContext, itemtype: str, items_id: int) -> Row:
        if itemtype != "Ticket":
            ctx.note(f"followups on {itemtype!r} are not simulated (only Ticket)")
            raise ItemFailure("")
        ticket = ctx.store.get("Ticket", items_id)
        if ticket is None:
            ctx.note(f"Ticket {items_id} does not exist")
            raise ItemFailure("")
        if not visible(ctx.store, ctx.actor, "Ticket", ticket):
            raise ItemFailure(PERMISSION_DENIED)
        return ticket

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = super().prepare_add(ctx, raw)
        itemtype = as_str(values.get("itemtype"))
        if not itemtype or "items_id" not in values:
            ctx.note("itemtype and items_id are required")
            raise ItemFailure("")
        ticket = self._ticket(ctx, itemtype, as_int(values["items_id"]))
        if ticket["status"] == CLOSED:
            ctx.note("the ticket is closed: no followup can be added")
            raise ItemFailure(PERMISSION_DENIED)
        if not as_str(values.get("content")).strip():
            raise ItemFailure("You can't add a followup without description")
        values["itemtype"] = "Ticket"
        values.setdefault("users_id", ctx.actor.users_id)
        values.setdefault("requesttypes_id", 1)
        values["is_private"] = 1 if truthy(values.get("is_private", 0)) else 0
        requesters = user_ids(ctx, as_int(ticket["id"]), REQUESTER)
        author = as_int(values["users_id"])
        values["timeline_position"] = TIMELINE_LEFT if author in requesters else TIMELINE_RIGHT
        return values

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        ticket = ctx.store.get("Ticket", as_int(row["items_id"]))
        if ticket is None:
            return
        ticket_id = as_int(ticket["id"])
        status = as_int(ticket["status"])
        author = as_int(row["users_id"])
        if status == SOLVED and truthy(raw.get("add_close", 0)):
            set_status(ctx, ticket, CLOSED)
        elif status == SOLVED and truthy(raw.get("add_reopen", 0)):
            set_status(ctx, ticket, reopen_status(ctx, ticket_id))
        elif status in (SOLVED, WAITING) and author in user_ids(ctx, ticket_id, REQUESTER):
            # A requester's answer reopens a solved ticket and ends a waiting one.
            set_status(ctx, ticket, reopen_status(ctx, ticket_id))
        touch_ticket(ctx, ticket, author)

    def added_message(self, row: Row) -> str:
        return ""  # followups emit no UI message

    def prepare_update(self, ctx: WriteContext, row: Row, raw: JsonObject) -> Row:
        values = super().prepare_update(ctx, row, raw)
        values.pop("itemtype", None)
        values.pop("items_id", None)
        if "content" in values and not as_str(values["content"]).strip():
            raise ItemFailure("You can't add a followup without description")
        values["users_id_editor"] = ctx.actor.users_id
        return values
