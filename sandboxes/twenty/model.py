"""Metadata model of a Twenty workspace: objects, fields, relations and composite types.

Twenty generates its /graphql schema from exactly this kind of metadata, so the sandbox keeps
the same shape and derives everything else (SDL, validation, webhooks) from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    """Twenty's FieldMetadataType enum (metadata-subset.graphql)."""

    ACTOR = "ACTOR"
    ADDRESS = "ADDRESS"
    ARRAY = "ARRAY"
    BOOLEAN = "BOOLEAN"
    CURRENCY = "CURRENCY"
    DATE = "DATE"
    DATE_TIME = "DATE_TIME"
    EMAILS = "EMAILS"
    FILES = "FILES"
    FULL_NAME = "FULL_NAME"
    LINKS = "LINKS"
    MORPH_RELATION = "MORPH_RELATION"
    MULTI_SELECT = "MULTI_SELECT"
    NUMBER = "NUMBER"
    NUMERIC = "NUMERIC"
    PHONES = "PHONES"
    POSITION = "POSITION"
    RATING = "RATING"
    RAW_JSON = "RAW_JSON"
    RELATION = "RELATION"
    RICH_TEXT = "RICH_TEXT"
    SELECT = "SELECT"
    TEXT = "TEXT"
    TS_VECTOR = "TS_VECTOR"
    UUID = "UUID"


class RelationType(StrEnum):
    ONE_TO_MANY = "ONE_TO_MANY"
    MANY_TO_ONE = "MANY_TO_ONE"


class SubfieldKind(StrEnum):
    """How a composite sub-field is typed in GraphQL; decides its scalar and its filter."""

    TEXT = "TEXT"
    JSON = "JSON"
    BIG_FLOAT = "BIG_FLOAT"
    UUID = "UUID"
    ACTOR_SOURCE = "ACTOR_SOURCE"


@dataclass(frozen=True)
class Subfield:
    name: str
    kind: SubfieldKind
    # Twenty includes only some sub-fields in a unique index (emails.primaryEmail, ...).
    in_unique_constraint: bool = False


@dataclass(frozen=True)
class CompositeType:
    graphql_name: str
    subfields: tuple[Subfield, ...]

    def subfield(self, name: str) -> Subfield | None:
        return next((s for s in self.subfields if s.name == name), None)


_T = SubfieldKind.TEXT
_J = SubfieldKind.JSON
_B = SubfieldKind.BIG_FLOAT

COMPOSITES: dict[FieldType, CompositeType] = {
    FieldType.FULL_NAME: CompositeType(
        "FullName", (Subfield("firstName", _T), Subfield("lastName", _T))
    ),
    FieldType.EMAILS: CompositeType(
        "Emails",
        (Subfield("primaryEmail", _T, in_unique_constraint=True), Subfield("additionalEmails", _J)),
    ),
    FieldType.PHONES: CompositeType(
        "Phones",
        (
            Subfield("primaryPhoneNumber", _T, in_unique_constraint=True),
            Subfield("primaryPhoneCountryCode", _T),
            Subfield("primaryPhoneCallingCode", _T, in_unique_constraint=True),
            Subfield("additionalPhones", _J),
        ),
    ),
    FieldType.LINKS: CompositeType(
        "Links",
        (
            Subfield("primaryLinkLabel", _T),
            Subfield("primaryLinkUrl", _T, in_unique_constraint=True),
            Subfield("secondaryLinks", _J),
        ),
    ),
    FieldType.CURRENCY: CompositeType(
        "Currency",
        (
            Subfield("amountMicros", _B, in_unique_constraint=True),
            Subfield("currencyCode", _T, in_unique_constraint=True),
        ),
    ),
    FieldType.ADDRESS: CompositeType(
        "Address",
        (
            Subfield("addressStreet1", _T),
            Subfield("addressStreet2", _T),
            Subfield("addressCity", _T),
            Subfield("addressPostcode", _T),
            Subfield("addressState", _T),
            Subfield("addressCountry", _T),
            Subfield("addressLat", _B),
            Subfield("addressLng", _B),
        ),
    ),
    FieldType.ACTOR: CompositeType(
        "Actor",
        (
            Subfield("source", SubfieldKind.ACTOR_SOURCE),
            Subfield("workspaceMemberId", SubfieldKind.UUID),
            Subfield("name", _T),
            Subfield("context", _J),
        ),
    ),
    # The late-2025 SDL names the rich text type RichTextV2 (NOTES section 2).
    FieldType.RICH_TEXT: CompositeType(
        "RichTextV2", (Subfield("blocknote", _T), Subfield("markdown", _T))
    ),
}

# Only source and context of an actor are writable; the server fills name and member id.
ACTOR_WRITABLE_SUBFIELDS = frozenset({"source", "context"})

# Field types the sandbox can add through createOneField. The others exist in Twenty but
# are not needed by the integration; refusing them loudly beats simulating them wrongly.
CREATABLE_FIELD_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.NUMBER,
        FieldType.BOOLEAN,
        FieldType.DATE,
        FieldType.DATE_TIME,
        FieldType.SELECT,
        FieldType.MULTI_SELECT,
        FieldType.CURRENCY,
        FieldType.FULL_NAME,
        FieldType.EMAILS,
        FieldType.PHONES,
        FieldType.LINKS,
        FieldType.ADDRESS,
        FieldType.RAW_JSON,
        FieldType.RICH_TEXT,
        FieldType.ARRAY,
        FieldType.UUID,
        FieldType.RELATION,
    }
)

_CAMEL_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def camel_case(text: str) -> str:
    """lodash camelCase, which Twenty uses to derive names from labels."""
    words = [w for w in _CAMEL_SPLIT.split(text.strip()) if w]
    if not words:
        return ""
    head, *tail = words
    return head.lower() + "".join(w[:1].upper() + w[1:].lower() for w in tail)


def pascal(name: str) -> str:
    """Twenty's capitalize(): only the first letter changes."""
    return name[:1].upper() + name[1:]


@dataclass
class RelationMeta:
    type: RelationType
    target_object_id: str
    # The inverse field on the target object (Twenty always creates both sides).
    target_field_id: str
    on_delete: str | None = None


@dataclass
class FieldMeta:
    id: str
    object_id: str
    name: str
    label: str
    type: FieldType
    created_at: str
    updated_at: str
    description: str | None = None
    icon: str | None = None
    is_custom: bool = False
    is_system: bool = False
    is_active: bool = True
    is_nullable: bool = True
    is_unique: bool = False
    is_ui_read_only: bool = False
    is_label_synced_with_name: bool = False
    default_value: Any = None
    options: list[dict[str, Any]] | None = None
    settings: dict[str, Any] | None = None
    relation: RelationMeta | None = None

    @property
    def is_many_to_one(self) -> bool:
        return self.relation is not None and self.relation.type is RelationType.MANY_TO_ONE

    @property
    def is_one_to_many(self) -> bool:
        return self.relation is not None and self.relation.type is RelationType.ONE_TO_MANY

    @property
    def join_column(self) -> str:
        """Twenty stores a MANY_TO_ONE relation in the column `${name}Id`."""
        return f"{self.name}Id"

    @property
    def composite(self) -> CompositeType | None:
        return COMPOSITES.get(self.type)

    def option_values(self) -> list[str]:
        options = sorted(self.options or [], key=lambda o: o.get("position", 0))
        return [str(o["value"]) for o in options]

    def unique_paths(self) -> list[tuple[str, ...]]:
        """Column paths covered by this field's unique index (for upsert and constraints)."""
        if not self.is_unique:
            return []
        if self.is_many_to_one:
            return [(self.join_column,)]
        composite = self.composite
        if composite is not None:
            return [(self.name, s.name) for s in composite.subfields if s.in_unique_constraint]
        return [(self.name,)]


@dataclass
class ObjectMeta:
    id: str
    name_singular: str
    name_plural: str
    label_singular: str
    label_plural: str
    created_at: str
    updated_at: str
    description: str | None = None
    icon: str | None = None
    shortcut: str | None = None
    color: str | None = None
    is_custom: bool = False
    is_system: bool = False
    is_active: bool = True
    is_remote: bool = False
    is_ui_read_only: bool = False
    is_searchable: bool = True
    is_label_synced_with_name: bool = False
    # The subset SDL exposes workspaceMember only as an output type, without a records API.
    has_records_api: bool = True
    duplicate_criteria: list[list[str]] | None = None
    label_identifier_field_id: str | None = None
    fields: list[FieldMeta] = field(default_factory=list)

    def field_named(self, name: str) -> FieldMeta | None:
        return next((f for f in self.fields if f.name == name), None)

    def active_fields(self) -> list[FieldMeta]:
        return [f for f in self.fields if f.is_active]

    def has_field(self, name: str) -> bool:
        return self.field_named(name) is not None

    def taken_names(self) -> set[str]:
        """Field names plus join columns: a new field may clash with neither."""
        names = {f.name for f in self.fields}
        names.update(f.join_column for f in self.fields if f.is_many_to_one)
        return names
