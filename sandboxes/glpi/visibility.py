"""Entity scoping: which rows the session's active entities let the API user read or write.

GLPI filters lists and searches by the active entities and refuses a GET of an item outside
them with 403 ERROR_RIGHT_MISSING; writes there fail with the permission message.
"""

from __future__ import annotations

from sandboxes.glpi.context import Actor
from sandboxes.glpi.itemtypes import ITEMTYPES
from sandboxes.glpi.jsontypes import Row, as_int, truthy
from sandboxes.glpi.state import Store


def _ancestors(store: Store, entity_id: int) -> list[int]:
    found: list[int] = []
    row = store.get("Entity", entity_id)
    while row is not None and row.get("entities_id") is not None:
        parent = as_int(row["entities_id"])
        if parent in found:
            break
        found.append(parent)
        row = store.get("Entity", parent)
    return found


def entity_visible(store: Store, actor: Actor, entity_id: int, recursive: bool) -> bool:
    """An item of `entity_id`; recursive items also show in the entities below theirs."""
    if actor.sees_entity(entity_id):
        return True
    if not recursive or actor.entities is None:
        return False
    return any(entity_id in _ancestors(store, active) for active in actor.entities)


def visible(store: Store, actor: Actor, itemtype: str, row: Row) -> bool:
    if actor.entities is None:
        return True
    if itemtype == "Entity":
        return actor.sees_entity(as_int(row["id"]))
    if ITEMTYPES[itemtype].entity_assigned:
        return entity_visible(
            store, actor, as_int(row.get("entities_id")), truthy(row.get("is_recursive", 0))
        )
    parent_ticket = _parent_ticket_id(itemtype, row)
    if parent_ticket is not None:
        ticket = store.get("Ticket", parent_ticket)
        return ticket is not None and visible(store, actor, "Ticket", ticket)
    return True


def _parent_ticket_id(itemtype: str, row: Row) -> int | None:
    if itemtype == "ITILFollowup" and row.get("itemtype") == "Ticket":
        return as_int(row.get("items_id"))
    if itemtype in ("Ticket_User", "Group_Ticket"):
        return as_int(row.get("tickets_id"))
    return None
