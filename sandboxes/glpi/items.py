"""Item writes as GLPI's CommonDBTM runs them: add, update, delete/purge of one item.

Bulk handling, HTTP statuses and envelopes live in api_items.py; this module works on one
item and raises ItemFailure with GLPI's message when that item is refused.
"""

from __future__ import annotations

from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.dropdowns import (
    ContactRules,
    EntityRules,
    ITILCategoryRules,
    LinkRules,
    ReadOnlyRules,
    UserEmailRules,
)
from sandboxes.glpi.errors import PERMISSION_DENIED
from sandboxes.glpi.followups import FollowupRules
from sandboxes.glpi.itemtypes import ITEMTYPES
from sandboxes.glpi.jsontypes import JsonObject, Row, as_int
from sandboxes.glpi.rules import Rules
from sandboxes.glpi.tickets import TicketRules
from sandboxes.glpi.users import UserRules
from sandboxes.glpi.visibility import visible

RULES: dict[str, Rules] = {
    "Ticket": TicketRules(ITEMTYPES["Ticket"]),
    "ITILFollowup": FollowupRules(ITEMTYPES["ITILFollowup"]),
    "User": UserRules(ITEMTYPES["User"]),
    "UserEmail": UserEmailRules(ITEMTYPES["UserEmail"]),
    "Contact": ContactRules(ITEMTYPES["Contact"]),
    "Entity": EntityRules(ITEMTYPES["Entity"]),
    "ITILCategory": ITILCategoryRules(ITEMTYPES["ITILCategory"]),
    "Ticket_User": LinkRules(ITEMTYPES["Ticket_User"]),
    "Group_Ticket": LinkRules(ITEMTYPES["Group_Ticket"]),
    "Group": ReadOnlyRules(ITEMTYPES["Group"]),
    "RequestType": ReadOnlyRules(ITEMTYPES["RequestType"]),
    "Profile": ReadOnlyRules(ITEMTYPES["Profile"]),
}


def add_item(ctx: WriteContext, itemtype: str, raw: JsonObject) -> tuple[int, str]:
    """Create one item; returns (id, GLPI's "Item successfully added" message)."""
    rules = RULES[itemtype]
    with ctx.store.lock:
        values = rules.prepare_add(ctx, raw)
        row = ctx.store.insert(itemtype, values)
        rules.after_add(ctx, row, raw)
        return as_int(row["id"]), rules.added_message(row)


def update_item(ctx: WriteContext, itemtype: str, item_id: int, raw: JsonObject) -> None:
    rules = RULES[itemtype]
    with ctx.store.lock:
        row = ctx.store.get(itemtype, item_id)
        if row is None:
            ctx.note(f"{itemtype} {item_id} does not exist")
            raise ItemFailure(None)  # GLPI reads an empty result list: the message is null
        if not visible(ctx.store, ctx.actor, itemtype, row):
            raise ItemFailure(PERMISSION_DENIED)
        values = rules.prepare_update(ctx, row, raw)
        changed = False
        for key, value in values.items():
            if row.get(key) != value:
                row[key] = value
                changed = True
        changed = rules.after_update(ctx, row, raw, changed) or changed
        if changed:
            touch(ctx, itemtype, row)


def touch(ctx: WriteContext, itemtype: str, row: Row) -> None:
    """GLPI sets date_mod (and the ITIL last updater) on every update that changed data."""
    if "date_mod" in row:
        row["date_mod"] = ctx.store.clock.now_text()
    if itemtype == "Ticket":
        row["users_id_lastupdater"] = ctx.actor.users_id


def delete_item(ctx: WriteContext, itemtype: str, item_id: int, purge: bool) -> None:
    definition = ITEMTYPES[itemtype]
    rules = RULES[itemtype]
    with ctx.store.lock:
        row = ctx.store.get(itemtype, item_id)
        if row is None:
            raise ItemFailure("Item not found")
        if not definition.writable or not visible(ctx.store, ctx.actor, itemtype, row):
            raise ItemFailure(PERMISSION_DENIED)
        if definition.has_trash and not purge:
            if row.get("is_deleted") != 1:
                row["is_deleted"] = 1
                touch(ctx, itemtype, row)
            return
        rules.before_purge(ctx, row)
        ctx.store.delete(itemtype, item_id)
