"""Ticket rules: defaults, the priority matrix, status dates and automatic status moves."""

from __future__ import annotations

import html
import re

from sandboxes.glpi.actors import add_actors, has_assignee, parse_actors
from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.jsontypes import JsonObject, Row, as_int, as_str
from sandboxes.glpi.rules import Rules

INCOMING, ASSIGNED, PLANNED, WAITING, SOLVED, CLOSED = 1, 2, 3, 4, 5, 6
STATUSES = range(1, 7)
NOT_OLD = (INCOMING, ASSIGNED, PLANNED, WAITING)
OLD = (SOLVED, CLOSED)

# GLPI's default urgency x impact matrix (config `priority_<u><i>`): PRIORITY[u][i].
PRIORITY: dict[int, dict[int, int]] = {
    1: {1: 1, 2: 1, 3: 2, 4: 2, 5: 2},
    2: {1: 1, 2: 2, 3: 2, 4: 3, 5: 3},
    3: {1: 2, 2: 2, 3: 3, 4: 4, 5: 4},
    4: {1: 2, 2: 3, 3: 4, 4: 4, 5: 5},
    5: {1: 2, 2: 3, 3: 4, 4: 5, 5: 5},
}

# Template field labels for "Mandatory fields are not filled. Please correct: ...".
FIELD_LABELS = {
    "name": "Title",
    "content": "Description",
    "itilcategories_id": "Category",
    "urgency": "Urgency",
    "impact": "Impact",
    "type": "Type",
    "requesttypes_id": "Request source",
    "locations_id": "Location",
    "time_to_resolve": "Time to resolve",
    "_users_id_requester": "Requester",
    "_users_id_assign": "Technician",
}
# The default ticket template makes only the description mandatory.
DEFAULT_MANDATORY = ("content",)
ACTOR_INPUTS = ("_users_id_requester", "_users_id_assign", "_users_id_observer", "_actors")


def _text_of(content: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def _scale(value: int | None, default: int = 3) -> int:
    """Urgency/impact outside 1..5 (or not enabled in the mask) silently becomes 3."""
    return value if value is not None and 1 <= value <= 5 else default


def _status_dates(ctx: WriteContext, row: Row, old_status: int | None) -> None:
    status = as_int(row["status"])
    now = ctx.store.clock.now_text()
    if status in OLD and (old_status not in OLD or row.get("solvedate") is None):
        row["solvedate"] = row.get("solvedate") or now
    if status == CLOSED and row.get("closedate") is None:
        row["closedate"] = now
    if status not in OLD:
        row["solvedate"] = None
        row["closedate"] = None
    elif status == SOLVED:
        row["closedate"] = None


def reopen_status(ctx: WriteContext, ticket_id: int) -> int:
    return ASSIGNED if has_assignee(ctx, ticket_id) else INCOMING


def set_status(ctx: WriteContext, row: Row, status: int) -> bool:
    old = as_int(row["status"])
    if old == status:
        return False
    row["status"] = status
    _status_dates(ctx, row, old)
    return True


class TicketRules(Rules):
    def _missing_mandatory(self, ctx: WriteContext, raw: JsonObject) -> list[str]:
        fields = list(DEFAULT_MANDATORY)
        fields += [f for f in ctx.store.config.mandatory_ticket_fields if f not in fields]
        missing: list[str] = []
        for name in fields:
            value = raw.get(name)
            if value in (None, "", 0, "0", [], {}):
                missing.append(FIELD_LABELS.get(name, name))
        return missing

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        missing = self._missing_mandatory(ctx, raw)
        if missing:
            raise ItemFailure(
                "Mandatory fields are not filled. Please correct: " + ", ".join(missing)
            )
        values = super().prepare_add(ctx, raw)
        content = as_str(values.get("content"))
        if not as_str(values.get("name")).strip():
            values["name"] = _text_of(content)[:70]
        values["urgency"] = _scale(_opt_int(values.get("urgency")))
        values["impact"] = _scale(_opt_int(values.get("impact")))
        priority = _opt_int(values.get("priority"))
        if priority is None or not 1 <= priority <= 6:
            priority = PRIORITY[as_int(values["urgency"])][as_int(values["impact"])]
        values["priority"] = priority
        if as_int(values.get("type"), 0) not in (1, 2):
            values["type"] = 1  # Entity's default ticket type, as GLPI does silently
        if as_int(values.get("status"), 0) not in STATUSES:
            values["status"] = INCOMING
        values.pop("is_deleted", None)
        values["users_id_recipient"] = ctx.actor.users_id
        values["users_id_lastupdater"] = ctx.actor.users_id
        category = as_int(values.get("itilcategories_id"))
        if category and ctx.store.get("ITILCategory", category) is None:
            ctx.note(f"itilcategories_id {category} does not exist (GLPI stores it anyway)")
        return values

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        ticket_id = as_int(row["id"])
        users, groups = parse_actors(ctx, raw)
        add_actors(ctx, ticket_id, users, groups)
        if row["status"] == INCOMING and has_assignee(ctx, ticket_id):
            row["status"] = ASSIGNED
        _status_dates(ctx, row, None)

    def added_message(self, row: Row) -> str:
        return f"Item successfully added: {row.get('name') or ''} ({row['id']})"

    def prepare_update(self, ctx: WriteContext, row: Row, raw: JsonObject) -> Row:
        values = super().prepare_update(ctx, row, raw)
        for key in ("urgency", "impact"):
            if key in values:
                values[key] = _scale(_opt_int(values[key]))
        if "type" in values and as_int(values["type"], 0) not in (1, 2):
            values.pop("type")
        if "status" in values and as_int(values["status"], 0) not in STATUSES:
            ctx.note(f"status {values['status']!r} is not a ticket status: ignored")
            values.pop("status")
        if ("urgency" in values or "impact" in values) and "priority" not in values:
            urgency = as_int(values.get("urgency", row["urgency"]))
            impact = as_int(values.get("impact", row["impact"]))
            values["priority"] = PRIORITY[urgency][impact]
        return values

    def after_update(self, ctx: WriteContext, row: Row, raw: JsonObject, changed: bool) -> bool:
        ticket_id = as_int(row["id"])
        linked = False
        if any(key in raw for key in ACTOR_INPUTS) or any(k.startswith("_groups_id_") for k in raw):
            users, groups = parse_actors(ctx, raw)
            linked = add_actors(ctx, ticket_id, users, groups)
            if linked and row["status"] == INCOMING and has_assignee(ctx, ticket_id):
                row["status"] = ASSIGNED
        _status_dates(ctx, row, None)
        return linked

    def before_purge(self, ctx: WriteContext, row: Row) -> None:
        ticket_id = row["id"]
        store = ctx.store
        for itemtype, key in (
            ("Ticket_User", "tickets_id"),
            ("Group_Ticket", "tickets_id"),
            ("ITILFollowup", "items_id"),
        ):
            for child_id, child in list(store.table(itemtype).items()):
                if child.get(key) == ticket_id and child.get("itemtype", "Ticket") == "Ticket":
                    store.delete(itemtype, child_id)


def _opt_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    return None
