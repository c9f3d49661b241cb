"""Rules for the simpler itemtypes: contacts, tree dropdowns, emails, actor links, and the
read-only ones (profiles, request sources, groups) the API user cannot write."""

from __future__ import annotations

from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.errors import PERMISSION_DENIED
from sandboxes.glpi.items_touch import touch_ticket
from sandboxes.glpi.jsontypes import JsonObject, Row, as_int, as_str
from sandboxes.glpi.rules import Rules
from sandboxes.glpi.visibility import visible


class ReadOnlyRules(Rules):
    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        ctx.note(f"{self.itemtype.name} is read-only in the sandbox")
        raise ItemFailure(PERMISSION_DENIED)

    def prepare_update(self, ctx: WriteContext, row: Row, raw: JsonObject) -> Row:
        ctx.note(f"{self.itemtype.name} is read-only in the sandbox")
        raise ItemFailure(PERMISSION_DENIED)


class ContactRules(Rules):
    def added_message(self, row: Row) -> str:
        display = f"{as_str(row.get('name'))} {as_str(row.get('firstname'))}".strip()
        return f"Item successfully added: {display}"


class _TreeRules(Rules):
    parent_key = ""

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = super().prepare_add(ctx, raw)
        if not as_str(values.get("name")).strip():
            raise ItemFailure("Mandatory fields are not filled. Please correct: Name")
        self._check_parent(ctx, values)
        return values

    def _check_parent(self, ctx: WriteContext, values: Row) -> None:
        parent = as_int(values.get(self.parent_key))
        itemtype = self.itemtype.name
        if parent and ctx.store.get(itemtype, parent) is None:
            ctx.note(f"parent {itemtype} {parent} does not exist")
            raise ItemFailure(PERMISSION_DENIED)

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        ctx.store.refresh_tree_names(self.itemtype.name, as_int(row["id"]))

    def after_update(self, ctx: WriteContext, row: Row, raw: JsonObject, changed: bool) -> bool:
        if changed:
            for item_id in list(ctx.store.table(self.itemtype.name)):
                ctx.store.refresh_tree_names(self.itemtype.name, item_id)
        return False


class ITILCategoryRules(_TreeRules):
    parent_key = "itilcategories_id"


class EntityRules(_TreeRules):
    """For entities `entities_id` is the parent: it must be an active entity."""

    parent_key = "entities_id"

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = super().prepare_add(ctx, raw)
        if ctx.store.get("Entity", as_int(values["entities_id"])) is None:
            raise ItemFailure(PERMISSION_DENIED)
        return values


class UserEmailRules(Rules):
    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = super().prepare_add(ctx, raw)
        if ctx.store.get("User", as_int(values.get("users_id"))) is None:
            ctx.note("users_id must name an existing user")
            raise ItemFailure("")
        if not as_str(values.get("email")).strip():
            ctx.note("email is required")
            raise ItemFailure("")
        return values

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        if row["is_default"]:
            for other in ctx.store.table("UserEmail").values():
                if other["users_id"] == row["users_id"] and other["id"] != row["id"]:
                    other["is_default"] = 0

    def added_message(self, row: Row) -> str:
        return ""


class LinkRules(Rules):
    """Ticket_User / Group_Ticket written directly: the ticket must be visible."""

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = super().prepare_add(ctx, raw)
        ticket = ctx.store.get("Ticket", as_int(values.get("tickets_id")))
        if ticket is None or not visible(ctx.store, ctx.actor, "Ticket", ticket):
            raise ItemFailure(PERMISSION_DENIED)
        if as_int(values.get("type"), 1) not in (1, 2, 3):
            raise ItemFailure("")
        return values

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        ticket = ctx.store.get("Ticket", as_int(row["tickets_id"]))
        if ticket is not None:
            touch_ticket(ctx, ticket, ctx.actor.users_id)

    def added_message(self, row: Row) -> str:
        return ""
