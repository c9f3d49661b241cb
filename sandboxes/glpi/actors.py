"""Ticket actors: requester/assignee/observer links in Ticket_User and Group_Ticket.

GLPI accepts them as write-only inputs on a ticket: `_users_id_requester` (an id or a list,
0 + `_users_id_requester_notif.alternative_email` = an anonymous email requester),
`_users_id_assign`, `_users_id_observer`, `_groups_id_*`, or GLPI 10's `_actors` form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandboxes.glpi.context import WriteContext
from sandboxes.glpi.jsontypes import JsonObject, JsonValue, as_int, as_str, is_intlike

REQUESTER, ASSIGN, OBSERVER = 1, 2, 3
ROLES = {"requester": REQUESTER, "assign": ASSIGN, "observer": OBSERVER}


@dataclass(frozen=True)
class UserActor:
    role: int
    users_id: int
    use_notification: int = 1
    alternative_email: str = ""


@dataclass(frozen=True)
class GroupActor:
    role: int
    groups_id: int


def _as_list(value: JsonValue) -> list[JsonValue]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _notif_for(raw: JsonObject, role_name: str, position: int) -> tuple[int, str]:
    notif = raw.get(f"_users_id_{role_name}_notif")
    if not isinstance(notif, dict):
        return 1, ""
    use = _as_list(notif.get("use_notification", 1))
    emails = _as_list(notif.get("alternative_email", ""))
    use_value = use[position] if position < len(use) else use[-1] if use else 1
    email = emails[position] if position < len(emails) else ""
    return as_int(use_value, 1), as_str(email)


def parse_actors(ctx: WriteContext, raw: JsonObject) -> tuple[list[UserActor], list[GroupActor]]:
    users: list[UserActor] = []
    groups: list[GroupActor] = []
    for role_name, role in ROLES.items():
        key = f"_users_id_{role_name}"
        if key in raw:
            for position, value in enumerate(_as_list(raw[key])):
                if not is_intlike(value):
                    ctx.note(f"{key}: {value!r} is not a user id")
                    continue
                use, email = _notif_for(raw, role_name, position)
                users.append(UserActor(role, as_int(value), use, email))
        group_key = f"_groups_id_{role_name}"
        if group_key in raw:
            for value in _as_list(raw[group_key]):
                if is_intlike(value) and as_int(value) > 0:
                    groups.append(GroupActor(role, as_int(value)))
    form = raw.get("_actors")
    if isinstance(form, dict):
        for role_name, entries in form.items():
            form_role = ROLES.get(role_name)
            if form_role is None or not isinstance(entries, list):
                ctx.note(f"_actors.{role_name} ignored")
                continue
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                kind = entry.get("itemtype")
                item_id = as_int(entry.get("items_id"))
                if kind == "User":
                    users.append(
                        UserActor(
                            form_role,
                            item_id,
                            as_int(entry.get("use_notification", 1), 1),
                            as_str(entry.get("alternative_email", "")),
                        )
                    )
                elif kind == "Group" and item_id > 0:
                    groups.append(GroupActor(form_role, item_id))
                else:
                    ctx.note(f"_actors.{role_name}: itemtype {kind!r} not simulated")
    return users, groups


def add_actors(
    ctx: WriteContext, ticket_id: int, users: list[UserActor], groups: list[GroupActor]
) -> bool:
    """Store the links GLPI would create; returns True if any link was added."""
    store = ctx.store
    added = False
    existing_users = {
        (row["users_id"], row["type"], row["alternative_email"])
        for row in store.table("Ticket_User").values()
        if row["tickets_id"] == ticket_id
    }
    for actor in users:
        if actor.users_id == 0 and not actor.alternative_email:
            continue  # GLPI drops an anonymous actor without an email
        if actor.users_id != 0 and store.get("User", actor.users_id) is None:
            ctx.note(f"user {actor.users_id} does not exist: actor not linked")
            continue
        key = (actor.users_id, actor.role, actor.alternative_email)
        if key in existing_users:
            continue
        existing_users.add(key)
        store.insert(
            "Ticket_User",
            {
                "tickets_id": ticket_id,
                "users_id": actor.users_id,
                "type": actor.role,
                "use_notification": actor.use_notification,
                "alternative_email": actor.alternative_email,
            },
        )
        added = True
    existing_groups = {
        (row["groups_id"], row["type"])
        for row in store.table("Group_Ticket").values()
        if row["tickets_id"] == ticket_id
    }
    for group in groups:
        if store.get("Group", group.groups_id) is None:
            ctx.note(f"group {group.groups_id} does not exist: actor not linked")
            continue
        if (group.groups_id, group.role) in existing_groups:
            continue
        existing_groups.add((group.groups_id, group.role))
        store.insert(
            "Group_Ticket",
            {"tickets_id": ticket_id, "groups_id": group.groups_id, "type": group.role},
        )
        added = True
    return added


def user_ids(ctx: WriteContext, ticket_id: int, role: int) -> list[int]:
    return [
        as_int(row["users_id"])
        for row in ctx.store.table("Ticket_User").values()
        if row["tickets_id"] == ticket_id and row["type"] == role
    ]


def has_assignee(ctx: WriteContext, ticket_id: int) -> bool:
    if user_ids(ctx, ticket_id, ASSIGN):
        return True
    return any(
        row["tickets_id"] == ticket_id and row["type"] == ASSIGN
        for row in ctx.store.table("Group_Ticket").values()
    )
