"""The itemtypes the sandbox knows: their DB columns (in GLPI's order), defaults and traits.

Column order matters: GLPI returns rows as the DB gives them, and HATEOAS links follow the
foreign keys in that order. Columns whose value is `NOW` get the current time on create.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sandboxes.glpi.jsontypes import JsonValue

Kind = Literal["int", "str", "datetime"]
NOW = "__now__"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    default: JsonValue = None


def _i(name: str, default: int | None = 0) -> Column:
    return Column(name, "int", default)


def _s(name: str, default: str | None = None) -> Column:
    return Column(name, "str", default)


def _d(name: str, default: str | None = None) -> Column:
    return Column(name, "datetime", default)


# Foreign keys GLPI turns into HATEOAS links (value > 0), by column name.
LINKED_KEYS: dict[str, str] = {
    "users_id": "User",
    "users_id_lastupdater": "User",
    "users_id_recipient": "User",
    "users_id_supervisor": "User",
    "requesttypes_id": "RequestType",
    "itilcategories_id": "ITILCategory",
    "profiles_id": "Profile",
    "locations_id": "Location",
    "usertitles_id": "UserTitle",
    "usercategories_id": "UserCategory",
    "contacttypes_id": "ContactType",
    "groups_id": "Group",
    "tickets_id": "Ticket",
}


@dataclass(frozen=True)
class ItemType:
    name: str
    table: str
    columns: tuple[Column, ...]
    writable: bool = True
    has_trash: bool = False
    """Deleting without force_purge only sets is_deleted=1."""
    entity_assigned: bool = False
    sub_links: tuple[str, ...] = ()
    """The `<Itemtype>/<id>/<Sub>/` HATEOAS links GLPI adds after the foreign-key links."""
    list_link_keys: tuple[str, ...] | None = None
    """Keys linked in list rows, when GLPI links fewer there than on a single GET."""
    children: dict[str, str] = field(default_factory=dict)
    """Sub-item itemtype -> the column of that sub-item pointing at this itemtype."""

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


TICKET = ItemType(
    name="Ticket",
    table="glpi_tickets",
    has_trash=True,
    entity_assigned=True,
    columns=(
        _i("id", None),
        _i("entities_id"),
        _s("name", ""),
        _d("date", NOW),
        _d("closedate"),
        _d("solvedate"),
        _d("takeintoaccountdate"),
        _d("date_mod", NOW),
        _i("users_id_lastupdater"),
        _i("status", 1),
        _i("users_id_recipient"),
        _i("requesttypes_id", 1),
        _s("content", ""),
        _i("urgency", 3),
        _i("impact", 3),
        _i("priority", 3),
        _i("itilcategories_id"),
        _i("type", 1),
        _i("global_validation", 1),
        _i("slas_id_ttr"),
        _i("slas_id_tto"),
        _i("slalevels_id_ttr"),
        _d("time_to_resolve"),
        _d("time_to_own"),
        _d("begin_waiting_date"),
        _i("sla_waiting_duration"),
        _i("ola_waiting_duration"),
        _i("olas_id_tto"),
        _i("olas_id_ttr"),
        _i("olalevels_id_ttr"),
        _d("ola_tto_begin_date"),
        _d("ola_ttr_begin_date"),
        _d("internal_time_to_resolve"),
        _d("internal_time_to_own"),
        _i("waiting_duration"),
        _i("close_delay_stat"),
        _i("solve_delay_stat"),
        _i("takeintoaccount_delay_stat"),
        _i("actiontime"),
        _i("is_deleted"),
        _i("locations_id"),
        _i("validation_percent"),
        _d("date_creation", NOW),
    ),
    sub_links=(
        "Document_Item",
        "TicketTask",
        "TicketValidation",
        "TicketCost",
        "Problem_Ticket",
        "Change_Ticket",
        "Item_Ticket",
        "ITILSolution",
        "ITILFollowup",
        "Ticket_User",
        "Group_Ticket",
        "Supplier_Ticket",
    ),
    list_link_keys=("entities_id",),
    children={
        "ITILFollowup": "items_id",
        "Ticket_User": "tickets_id",
        "Group_Ticket": "tickets_id",
    },
)

ITIL_FOLLOWUP = ItemType(
    name="ITILFollowup",
    table="glpi_itilfollowups",
    columns=(
        _i("id", None),
        _s("itemtype", ""),
        _i("items_id"),
        _d("date", NOW),
        _i("users_id"),
        _i("users_id_editor"),
        _s("content", ""),
        _i("is_private"),
        _i("requesttypes_id"),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
        _i("timeline_position"),
        _i("sourceitems_id"),
        _i("sourceof_items_id"),
    ),
)

USER = ItemType(
    name="User",
    table="glpi_users",
    has_trash=True,
    columns=(
        _i("id", None),
        _s("name", ""),
        _d("password_last_update"),
        _s("phone"),
        _s("phone2"),
        _s("mobile"),
        _s("realname"),
        _s("firstname"),
        _i("locations_id"),
        _s("language"),
        _i("use_mode"),
        _i("list_limit", None),
        _i("is_active", 1),
        _s("comment"),
        _i("auths_id"),
        _i("authtype", 1),
        _d("last_login"),
        _d("date_mod", NOW),
        _d("date_sync"),
        _i("is_deleted"),
        _i("profiles_id"),
        _i("entities_id"),
        _i("usertitles_id"),
        _i("usercategories_id"),
        _s("registration_number"),
        _i("groups_id"),
        _i("users_id_supervisor"),
        _s("timezone"),
        _s("nickname"),
        _d("date_creation", NOW),
    ),
    sub_links=("UserEmail",),
    children={"UserEmail": "users_id"},
)

USER_EMAIL = ItemType(
    name="UserEmail",
    table="glpi_useremails",
    columns=(
        _i("id", None),
        _i("users_id"),
        _i("is_default"),
        _i("is_dynamic"),
        _s("email", ""),
    ),
)

CONTACT = ItemType(
    name="Contact",
    table="glpi_contacts",
    has_trash=True,
    entity_assigned=True,
    columns=(
        _i("id", None),
        _i("entities_id"),
        _i("is_recursive"),
        _s("name"),
        _s("firstname"),
        _s("registration_number"),
        _s("phone"),
        _s("phone2"),
        _s("mobile"),
        _s("fax"),
        _s("email"),
        _i("contacttypes_id"),
        _s("comment"),
        _i("is_deleted"),
        _i("usertitles_id"),
        _s("address"),
        _s("postcode"),
        _s("town"),
        _s("state"),
        _s("country"),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
        _s("pictures"),
    ),
    sub_links=("Document_Item",),
)

ENTITY = ItemType(
    name="Entity",
    table="glpi_entities",
    entity_assigned=True,
    columns=(
        _i("id", None),
        _s("name", ""),
        _i("entities_id"),
        _s("completename", ""),
        _s("comment"),
        _i("level", 1),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
    ),
)

ITIL_CATEGORY = ItemType(
    name="ITILCategory",
    table="glpi_itilcategories",
    entity_assigned=True,
    columns=(
        _i("id", None),
        _i("entities_id"),
        _i("is_recursive", 1),
        _i("itilcategories_id"),
        _s("name", ""),
        _s("completename", ""),
        _s("comment"),
        _i("level", 1),
        _s("code"),
        _i("is_helpdeskvisible", 1),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
    ),
)

GROUP = ItemType(
    name="Group",
    table="glpi_groups",
    writable=False,
    entity_assigned=True,
    columns=(
        _i("id", None),
        _i("entities_id"),
        _i("is_recursive", 1),
        _s("name", ""),
        _s("completename", ""),
        _s("comment"),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
    ),
)

TICKET_USER = ItemType(
    name="Ticket_User",
    table="glpi_tickets_users",
    columns=(
        _i("id", None),
        _i("tickets_id"),
        _i("users_id"),
        _i("type", 1),
        _i("use_notification", 1),
        _s("alternative_email", ""),
    ),
)

GROUP_TICKET = ItemType(
    name="Group_Ticket",
    table="glpi_groups_tickets",
    columns=(
        _i("id", None),
        _i("tickets_id"),
        _i("groups_id"),
        _i("type", 1),
    ),
)

REQUEST_TYPE = ItemType(
    name="RequestType",
    table="glpi_requesttypes",
    writable=False,
    columns=(
        _i("id", None),
        _s("name", ""),
        _i("is_helpdesk_default"),
        _i("is_active", 1),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
    ),
)

PROFILE = ItemType(
    name="Profile",
    table="glpi_profiles",
    writable=False,
    columns=(
        _i("id", None),
        _s("name", ""),
        _s("interface", "central"),
        _i("is_default"),
        _d("date_mod", NOW),
        _d("date_creation", NOW),
    ),
)

ITEMTYPES: dict[str, ItemType] = {
    t.name: t
    for t in (
        TICKET,
        ITIL_FOLLOWUP,
        USER,
        USER_EMAIL,
        CONTACT,
        ENTITY,
        ITIL_CATEGORY,
        GROUP,
        TICKET_USER,
        GROUP_TICKET,
        REQUEST_TYPE,
        PROFILE,
    )
}
_BY_LOWER = {name.lower(): t for name, t in ITEMTYPES.items()}


def find_itemtype(name: str) -> ItemType | None:
    """PHP class names are case-insensitive: `ticket` and `Ticket` are the same resource."""
    return _BY_LOWER.get(name.lower())
