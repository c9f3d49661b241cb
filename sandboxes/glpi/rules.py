"""Per-itemtype write rules: the GLPI `prepareInputFor*` / `post_*Item` hooks, simplified.

`Rules` is the plain CommonDBTM behaviour: known columns are stored (cast the way MySQL
would), unknown keys are dropped, `date_mod` follows every real change. Itemtypes with
their own logic subclass it (tickets.py, followups.py, users.py, dropdowns.py).
"""

from __future__ import annotations

from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.errors import PERMISSION_DENIED
from sandboxes.glpi.itemtypes import Column, ItemType
from sandboxes.glpi.jsontypes import JsonObject, JsonValue, Row, as_int, is_intlike
from sandboxes.glpi.visibility import entity_visible

# Columns no client input can set: GLPI computes them.
COMPUTED = frozenset({"id", "date_mod", "date_creation", "completename", "level"})


def cast(ctx: WriteContext, column: Column, value: JsonValue) -> JsonValue:
    """MySQL (strict mode) column casting; a non-number in an int column fails the item."""
    if value is None:
        return None
    if column.kind == "int":
        if isinstance(value, bool):
            return int(value)
        if is_intlike(value):
            return as_int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        ctx.note(f"{column.name}: {value!r} is not an integer (MySQL strict mode refuses it)")
        raise ItemFailure("")
    if isinstance(value, (dict, list)):
        ctx.note(f"{column.name}: an array was sent for a text column; stored as 'Array'")
        return "Array"  # what PHP's string conversion of an array gives
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


class Rules:
    def __init__(self, itemtype: ItemType) -> None:
        self.itemtype = itemtype

    # ---------------------------------------------------------------- shared helpers

    def columns_from_input(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values: Row = {}
        ignored: list[str] = []
        for key, value in raw.items():
            column = self.itemtype.column(key)
            if key.startswith("_") or key in self.special_inputs():
                continue
            if column is None or key in COMPUTED:
                ignored.append(key)
                continue
            values[key] = cast(ctx, column, value)
        if ignored:
            ctx.note(f"{self.itemtype.name}: ignored unknown or computed fields {sorted(ignored)}")
        return values

    def special_inputs(self) -> frozenset[str]:
        """Input keys without a column that the itemtype's logic reads (e.g. password2)."""
        return frozenset()

    def check_entity(self, ctx: WriteContext, values: Row) -> None:
        """The item's entity must exist and be one of the session's active entities."""
        if not self.itemtype.entity_assigned:
            return
        entity = as_int(values.get("entities_id", ctx.actor.default_entity), -1)
        if ctx.store.get("Entity", entity) is None:
            ctx.note(f"entities_id {entity} does not exist")
            raise ItemFailure(PERMISSION_DENIED)
        if not entity_visible(ctx.store, ctx.actor, entity, False):
            ctx.note(f"entity {entity} is not among the session's active entities")
            raise ItemFailure(PERMISSION_DENIED)

    # ---------------------------------------------------------------- hooks

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = self.columns_from_input(ctx, raw)
        if self.itemtype.entity_assigned:
            values.setdefault("entities_id", ctx.actor.default_entity)
            self.check_entity(ctx, values)
        return values

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        return None

    def added_message(self, row: Row) -> str:
        return f"Item successfully added: {row.get('name') or ''}"

    def prepare_update(self, ctx: WriteContext, row: Row, raw: JsonObject) -> Row:
        values = self.columns_from_input(ctx, raw)
        if "entities_id" in values and self.itemtype.entity_assigned:
            self.check_entity(ctx, values)
        return values

    def after_update(self, ctx: WriteContext, row: Row, raw: JsonObject, changed: bool) -> bool:
        """Side effects of an update; returns True if they changed the item too."""
        return False

    def before_purge(self, ctx: WriteContext, row: Row) -> None:
        return None
