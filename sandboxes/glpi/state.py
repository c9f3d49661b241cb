"""In-memory GLPI database: one table per itemtype, behind one lock, with the seed data.

The seed is a small multi-entity install: the root entity (0), Paris (3) with two children
(7, 8), Budapest (5) and Lyon (9); GLPI's default users (glpi, post-only, tech, normal) plus
the API user (31); categories 12 Network > 14 VPN and 20 Hardware; groups 1 and 4; the
request sources and profiles. Ids match the contract samples where they name one.
"""

from __future__ import annotations

import hashlib
import threading

from sandboxes.glpi.clock import Clock
from sandboxes.glpi.config import RuntimeConfig, SandboxOptions
from sandboxes.glpi.itemtypes import ITEMTYPES, NOW, ItemType
from sandboxes.glpi.jsontypes import JsonValue, Row, as_int

# (id, name, parent) in creation order; completenames are derived.
SEED_ENTITIES: tuple[tuple[int, str, int | None], ...] = (
    (0, "Root entity", None),
    (3, "Paris", 0),
    (5, "Budapest", 0),
    (7, "Helpdesk", 3),
    (8, "Field service", 3),
    (9, "Lyon", 0),
)
SEED_PROFILES = (
    (1, "Self-Service", "helpdesk"),
    (2, "Observer", "central"),
    (3, "Admin", "central"),
    (4, "Super-Admin", "central"),
    (5, "Hotliner", "central"),
    (6, "Technician", "central"),
    (7, "Supervisor", "central"),
)
SEED_REQUEST_TYPES = ("Helpdesk", "E-Mail", "Phone", "Direct", "Written", "Other")
# (id, name, parent)
SEED_CATEGORIES: tuple[tuple[int, str, int], ...] = (
    (12, "Network", 0),
    (14, "VPN", 12),
    (20, "Hardware", 0),
)
SEED_GROUPS = ((1, "Service desk"), (4, "Hardware support"))
API_PROFILE_ID = 4


def password_hash(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Store:
    def __init__(self, options: SandboxOptions, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.options = options
        self.clock = clock
        self.config = RuntimeConfig()
        self.tables: dict[str, dict[int, Row]] = {}
        self.next_ids: dict[str, int] = {}
        self.passwords: dict[int, str] = {}
        self.user_tokens: dict[str, int] = {}
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        with self.lock:
            self.config = RuntimeConfig()
            self.tables = {name: {} for name in ITEMTYPES}
            self.next_ids = {name: 1 for name in ITEMTYPES}
            self.passwords = {}
            self.user_tokens = {}
            self._seed()

    def _seed(self) -> None:
        for entity_id, name, parent in SEED_ENTITIES:
            self.insert(
                "Entity",
                {"name": name, "entities_id": parent},
                item_id=entity_id,
            )
            self.refresh_tree_names("Entity", entity_id)
        self.next_ids["Entity"] = 10
        for profile_id, name, interface in SEED_PROFILES:
            self.insert(
                "Profile",
                {"name": name, "interface": interface, "is_default": int(profile_id == 1)},
                item_id=profile_id,
            )
        for position, name in enumerate(SEED_REQUEST_TYPES, start=1):
            self.insert("RequestType", {"name": name, "is_helpdesk_default": int(position == 1)})
        for category_id, name, parent in SEED_CATEGORIES:
            self.insert(
                "ITILCategory", {"name": name, "itilcategories_id": parent}, item_id=category_id
            )
            self.refresh_tree_names("ITILCategory", category_id)
        self.next_ids["ITILCategory"] = 30
        for group_id, name in SEED_GROUPS:
            self.insert("Group", {"name": name, "completename": name}, item_id=group_id)
        # GLPI's default accounts (ids 2-5) and the integration's API user.
        opts = self.options
        users: tuple[tuple[int, str, str | None, str | None, int], ...] = (
            (2, "glpi", None, None, 4),
            (3, "post-only", None, None, 1),
            (4, "tech", "Tech", "Tom", 6),
            (5, "normal", "Normal", "Nora", 1),
            (opts.api_user_id, opts.api_user_login, "ERP", "KGC", API_PROFILE_ID),
        )
        for user_id, login, realname, firstname, profile in users:
            self.insert(
                "User",
                {
                    "name": login,
                    "realname": realname,
                    "firstname": firstname,
                    "profiles_id": profile,
                },
                item_id=user_id,
            )
            self.passwords[user_id] = password_hash(login)
        self.insert("UserEmail", {"users_id": 4, "email": "tech@glpi.example.com", "is_default": 1})
        self.user_tokens[opts.user_token] = opts.api_user_id
        self.next_ids["User"] = max(self.next_ids["User"], 40)

    # ------------------------------------------------------------------ rows

    def table(self, itemtype: str) -> dict[int, Row]:
        return self.tables[itemtype]

    def get(self, itemtype: str, item_id: int) -> Row | None:
        return self.tables[itemtype].get(item_id)

    def new_row(self, itemtype: ItemType, values: Row) -> Row:
        """A full row in column order: `values` over the column defaults."""
        now = self.clock.now_text()
        row: Row = {}
        for column in itemtype.columns:
            value = values.get(column.name, column.default)
            row[column.name] = now if value == NOW else value
        return row

    def insert(self, itemtype: str, values: Row, item_id: int | None = None) -> Row:
        with self.lock:
            definition = ITEMTYPES[itemtype]
            if item_id is None:
                item_id = self.next_ids[itemtype]
            self.next_ids[itemtype] = max(self.next_ids[itemtype], item_id + 1)
            row = self.new_row(definition, {**values, "id": item_id})
            self.tables[itemtype][item_id] = row
            return row

    def delete(self, itemtype: str, item_id: int) -> None:
        self.tables[itemtype].pop(item_id, None)

    # ------------------------------------------------------------------ trees

    def refresh_tree_names(self, itemtype: str, item_id: int) -> None:
        """completename/level for tree dropdowns (entities, categories): "A > B > C"."""
        parent_key = "entities_id" if itemtype == "Entity" else "itilcategories_id"
        row = self.tables[itemtype][item_id]
        names: list[str] = []
        current: Row | None = row
        seen: set[int] = set()
        while current is not None and as_int(current["id"]) not in seen:
            seen.add(as_int(current["id"]))
            names.append(str(current["name"]))
            parent = current.get(parent_key)
            if parent is None or (itemtype == "ITILCategory" and as_int(parent) == 0):
                break
            current = self.tables[itemtype].get(as_int(parent))
        row["completename"] = " > ".join(reversed(names))
        row["level"] = len(names)

    def entity_descendants(self, entity_id: int) -> list[int]:
        """The entity and all entities below it, ids ascending."""
        found = {entity_id}
        changed = True
        entities = self.tables["Entity"]
        while changed:
            changed = False
            for row in entities.values():
                parent = row.get("entities_id")
                child = as_int(row["id"])
                if parent is not None and as_int(parent) in found and child not in found:
                    found.add(child)
                    changed = True
        return sorted(found)

    def entity_name(self, entity_id: JsonValue) -> str | None:
        row = self.tables["Entity"].get(as_int(entity_id, -1))
        return str(row["completename"]) if row else None

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}
