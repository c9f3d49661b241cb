"""Search options: GLPI's numbered columns of the search engine, per itemtype.

Each option knows how to read its cell(s) from the store. `value` is what a search row
shows; `match_ids` are the ids `equals`/`under` compare with (for dropdowns and actors).
Ids are GLPI 10's core ones (NOTES.md §4); only those listed here are simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sandboxes.glpi.actors import ASSIGN, OBSERVER, REQUESTER
from sandboxes.glpi.jsontypes import JsonValue, Row, as_int
from sandboxes.glpi.state import Store

Datatype = Literal[
    "itemlink", "number", "string", "text", "specific", "dropdown", "datetime", "bool", "email"
]
Cell = Callable[[Store, Row], list[JsonValue]]
"""All values of the cell (several for multi-valued options such as requesters)."""

TEXT_SEARCHTYPES = ("contains", "notcontains")
EQUALITY = ("equals", "notequals")
NUMBER_SEARCHTYPES = ("contains", "notcontains", "equals", "notequals", "lessthan", "morethan")
DATE_SEARCHTYPES = ("contains", "notcontains", "equals", "notequals", "lessthan", "morethan")
DROPDOWN_SEARCHTYPES = ("contains", "notcontains", "equals", "notequals")
TREE_SEARCHTYPES = ("contains", "notcontains", "equals", "notequals", "under", "notunder")


@dataclass(frozen=True)
class SearchOption:
    id: int
    name: str
    table: str
    field: str
    datatype: Datatype
    searchtypes: tuple[str, ...]
    uid: str
    display: Cell
    """Cell values as shown in search rows."""
    match_ids: Cell | None = None
    """For dropdowns: the ids `equals`/`notequals`/`under` compare against."""

    def describe(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "table": self.table,
            "field": self.field,
            "datatype": self.datatype,
            "nosearch": False,
            "nodisplay": False,
            "available_searchtypes": list(self.searchtypes),
            "uid": self.uid,
        }


def column(name: str) -> Cell:
    return lambda store, row: [row.get(name)]


def _dropdown(itemtype: str, key: str, label: str = "completename") -> Cell:
    def cell(store: Store, row: Row) -> list[JsonValue]:
        target = store.get(itemtype, as_int(row.get(key)))
        return [target.get(label) or target.get("name")] if target else []

    return cell


def _ticket_users(role: int) -> tuple[Cell, Cell]:
    def links(store: Store, row: Row) -> list[Row]:
        return [
            link
            for link in store.table("Ticket_User").values()
            if link["tickets_id"] == row["id"] and link["type"] == role
        ]

    def logins(store: Store, row: Row) -> list[JsonValue]:
        values: list[JsonValue] = []
        for link in links(store, row):
            user = store.get("User", as_int(link["users_id"]))
            if user is not None:
                values.append(user["name"])
            elif link["alternative_email"]:
                values.append(link["alternative_email"])
        return values

    def ids(store: Store, row: Row) -> list[JsonValue]:
        return [link["users_id"] for link in links(store, row)]

    return logins, ids


def _ticket_groups(role: int) -> tuple[Cell, Cell]:
    def links(store: Store, row: Row) -> list[Row]:
        return [
            link
            for link in store.table("Group_Ticket").values()
            if link["tickets_id"] == row["id"] and link["type"] == role
        ]

    def names(store: Store, row: Row) -> list[JsonValue]:
        found = [store.get("Group", as_int(link["groups_id"])) for link in links(store, row)]
        return [group["completename"] for group in found if group is not None]

    def ids(store: Store, row: Row) -> list[JsonValue]:
        return [link["groups_id"] for link in links(store, row)]

    return names, ids


def _user_emails(store: Store, row: Row) -> list[JsonValue]:
    return [
        email["email"]
        for email in store.table("UserEmail").values()
        if email["users_id"] == row["id"]
    ]


def _entity(store: Store, row: Row) -> list[JsonValue]:
    name = store.entity_name(row.get("entities_id"))
    return [name] if name is not None else []


def _opt(
    option_id: int,
    name: str,
    table: str,
    field: str,
    datatype: Datatype,
    searchtypes: tuple[str, ...],
    uid: str,
    display: Cell | None = None,
    match_ids: Cell | None = None,
) -> SearchOption:
    return SearchOption(
        option_id,
        name,
        table,
        field,
        datatype,
        searchtypes,
        uid,
        display or column(field),
        match_ids,
    )


def _entity_option(itemtype: str) -> SearchOption:
    return _opt(
        80,
        "Entity",
        "glpi_entities",
        "completename",
        "dropdown",
        TREE_SEARCHTYPES,
        f"{itemtype}.Entity.completename",
        _entity,
        column("entities_id"),
    )


_requesters, _requester_ids = _ticket_users(REQUESTER)
_assignees, _assignee_ids = _ticket_users(ASSIGN)
_observers, _observer_ids = _ticket_users(OBSERVER)
_req_groups, _req_group_ids = _ticket_groups(REQUESTER)
_assign_groups, _assign_group_ids = _ticket_groups(ASSIGN)

T = "glpi_tickets"
TICKET_OPTIONS: tuple[SearchOption, ...] = (
    _opt(1, "Title", T, "name", "itemlink", TEXT_SEARCHTYPES, "Ticket.name"),
    _opt(2, "ID", T, "id", "number", NUMBER_SEARCHTYPES, "Ticket.id"),
    _opt(12, "Status", T, "status", "specific", EQUALITY, "Ticket.status"),
    _opt(
        4,
        "Requester",
        "glpi_users",
        "name",
        "dropdown",
        DROPDOWN_SEARCHTYPES,
        "Ticket.User.name",
        _requesters,
        _requester_ids,
    ),
    _opt(21, "Description", T, "content", "text", TEXT_SEARCHTYPES, "Ticket.content"),
    _opt(10, "Urgency", T, "urgency", "specific", EQUALITY, "Ticket.urgency"),
    _opt(11, "Impact", T, "impact", "specific", EQUALITY, "Ticket.impact"),
    _opt(3, "Priority", T, "priority", "specific", EQUALITY, "Ticket.priority"),
    _opt(14, "Type", T, "type", "specific", EQUALITY, "Ticket.type"),
    _opt(
        7,
        "Category",
        "glpi_itilcategories",
        "completename",
        "dropdown",
        TREE_SEARCHTYPES,
        "Ticket.ITILCategory.completename",
        _dropdown("ITILCategory", "itilcategories_id"),
        column("itilcategories_id"),
    ),
    _opt(
        9,
        "Request source",
        "glpi_requesttypes",
        "name",
        "dropdown",
        DROPDOWN_SEARCHTYPES,
        "Ticket.RequestType.name",
        _dropdown("RequestType", "requesttypes_id", "name"),
        column("requesttypes_id"),
    ),
    _opt(
        5,
        "Technician",
        "glpi_users",
        "name",
        "dropdown",
        DROPDOWN_SEARCHTYPES,
        "Ticket.User.name",
        _assignees,
        _assignee_ids,
    ),
    _opt(
        66,
        "Observer",
        "glpi_users",
        "name",
        "dropdown",
        DROPDOWN_SEARCHTYPES,
        "Ticket.User.name",
        _observers,
        _observer_ids,
    ),
    _opt(
        71,
        "Requester group",
        "glpi_groups",
        "completename",
        "dropdown",
        DROPDOWN_SEARCHTYPES,
        "Ticket.Group.completename",
        _req_groups,
        _req_group_ids,
    ),
    _opt(
        8,
        "Technician group",
        "glpi_groups",
        "completename",
        "dropdown",
        DROPDOWN_SEARCHTYPES,
        "Ticket.Group.completename",
        _assign_groups,
        _assign_group_ids,
    ),
    _opt(15, "Opening date", T, "date", "datetime", DATE_SEARCHTYPES, "Ticket.date"),
    _opt(19, "Last update", T, "date_mod", "datetime", DATE_SEARCHTYPES, "Ticket.date_mod"),
    _opt(16, "Closing date", T, "closedate", "datetime", DATE_SEARCHTYPES, "Ticket.closedate"),
    _opt(17, "Resolution date", T, "solvedate", "datetime", DATE_SEARCHTYPES, "Ticket.solvedate"),
    _entity_option("Ticket"),
)

U = "glpi_users"
USER_OPTIONS: tuple[SearchOption, ...] = (
    _opt(1, "Login", U, "name", "itemlink", TEXT_SEARCHTYPES, "User.name"),
    _opt(2, "ID", U, "id", "number", NUMBER_SEARCHTYPES, "User.id"),
    _opt(34, "Last name", U, "realname", "string", TEXT_SEARCHTYPES, "User.realname"),
    _opt(9, "First name", U, "firstname", "string", TEXT_SEARCHTYPES, "User.firstname"),
    _opt(
        5,
        "Email",
        "glpi_useremails",
        "email",
        "email",
        TEXT_SEARCHTYPES,
        "User.UserEmail.email",
        _user_emails,
    ),
    _opt(6, "Phone", U, "phone", "string", TEXT_SEARCHTYPES, "User.phone"),
    _opt(10, "Phone 2", U, "phone2", "string", TEXT_SEARCHTYPES, "User.phone2"),
    _opt(11, "Mobile phone", U, "mobile", "string", TEXT_SEARCHTYPES, "User.mobile"),
    _opt(8, "Active", U, "is_active", "bool", EQUALITY, "User.is_active"),
    _opt(19, "Last update", U, "date_mod", "datetime", DATE_SEARCHTYPES, "User.date_mod"),
)

C = "glpi_contacts"
CONTACT_OPTIONS: tuple[SearchOption, ...] = (
    _opt(1, "Last name", C, "name", "itemlink", TEXT_SEARCHTYPES, "Contact.name"),
    _opt(11, "First name", C, "firstname", "string", TEXT_SEARCHTYPES, "Contact.firstname"),
    _opt(2, "ID", C, "id", "number", NUMBER_SEARCHTYPES, "Contact.id"),
    _opt(3, "Phone", C, "phone", "string", TEXT_SEARCHTYPES, "Contact.phone"),
    _opt(4, "Phone 2", C, "phone2", "string", TEXT_SEARCHTYPES, "Contact.phone2"),
    _opt(10, "Mobile phone", C, "mobile", "string", TEXT_SEARCHTYPES, "Contact.mobile"),
    _opt(5, "Fax", C, "fax", "string", TEXT_SEARCHTYPES, "Contact.fax"),
    _opt(6, "Email", C, "email", "email", TEXT_SEARCHTYPES, "Contact.email"),
    _opt(19, "Last update", C, "date_mod", "datetime", DATE_SEARCHTYPES, "Contact.date_mod"),
    _entity_option("Contact"),
)

SEARCH_OPTIONS: dict[str, dict[int, SearchOption]] = {
    "Ticket": {o.id: o for o in TICKET_OPTIONS},
    "User": {o.id: o for o in USER_OPTIONS},
    "Contact": {o.id: o for o in CONTACT_OPTIONS},
}


def options_for(itemtype: str) -> dict[int, SearchOption]:
    return SEARCH_OPTIONS.get(itemtype, {})


def list_search_options(itemtype: str) -> dict[str, JsonValue]:
    """`GET listSearchOptions/:itemtype`: `{"common": {"name": ...}, "<id>": {...}}`."""
    result: dict[str, JsonValue] = {"common": {"name": "Characteristics"}}
    for option in options_for(itemtype).values():
        result[str(option.id)] = option.describe()
    return result
