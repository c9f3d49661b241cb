"""The rows the sandbox keeps, one dataclass per Krayin table, plus the JSON shapes used.

Field names are the database column names, so index filters (`?person_id=12`) and sorts
(`?sort=updated_at`) can address them the way Krayin's `allResources` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import TypedDict, TypeVar

JsonScalar = str | int | float | bool | None
JsonValue = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject = dict[str, JsonValue]


class LabeledValue(TypedDict):
    """One entry of `emails` / `contact_numbers`, echoed as stored."""

    value: JsonValue
    label: JsonValue


@dataclass
class User:
    id: int
    name: str
    email: str
    password: str
    created_at: datetime
    updated_at: datetime
    status: int = 1
    view_permission: str = "global"


@dataclass
class Token:
    """A Sanctum personal access token; the client holds "<id>|<secret>"."""

    id: int
    user_id: int
    name: str
    secret: str

    @property
    def plain_text(self) -> str:
        return f"{self.id}|{self.secret}"


@dataclass
class Organization:
    id: int
    name: str
    address: JsonValue
    user_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass
class Person:
    id: int
    name: str
    emails: list[LabeledValue]
    contact_numbers: list[LabeledValue]
    job_title: str | None
    organization_id: int | None
    user_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass
class Pipeline:
    id: int
    name: str
    is_default: int
    rotten_days: int
    created_at: datetime
    updated_at: datetime


@dataclass
class Stage:
    id: int
    code: str
    name: str
    lead_pipeline_id: int
    sort_order: int
    probability: int
    created_at: datetime
    updated_at: datetime
    is_user_defined: int = 0


@dataclass
class NamedSetting:
    """A lead source or lead type: `{"name"}`, unique."""

    id: int
    name: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Lead:
    id: int
    title: str
    description: str | None
    lead_value: Decimal | None
    status: int
    lost_reason: str | None
    closed_at: datetime | None
    expected_close_date: datetime | None
    user_id: int | None
    person_id: int
    lead_source_id: int
    lead_type_id: int
    lead_pipeline_id: int
    lead_pipeline_stage_id: int
    created_at: datetime
    updated_at: datetime


@dataclass
class Activity:
    id: int
    title: str | None
    type: str
    comment: str | None
    additional: JsonValue
    schedule_from: datetime | None
    schedule_to: datetime | None
    is_done: int
    user_id: int | None
    location: str | None
    created_at: datetime
    updated_at: datetime
    parent_id: int | None = None
    # Pivot tables, not columns: activity_participants, lead_activities, person_activities.
    participant_users: list[int] = field(default_factory=list)
    participant_persons: list[int] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)


PIVOT_FIELDS = frozenset({"participant_users", "participant_persons", "lead_ids", "person_ids"})
HIDDEN_COLUMNS = frozenset({"password"})

Row = User | Organization | Person | Pipeline | Stage | NamedSetting | Lead | Activity


def columns(row: Row) -> dict[str, object]:
    """The row as its table's columns (what whereIn filters and orderBy see)."""
    return {
        f.name: getattr(row, f.name)
        for f in fields(row)
        if f.name not in PIVOT_FIELDS and f.name not in HIDDEN_COLUMNS
    }


RowT = TypeVar("RowT", bound=Row)


def column_names(row_type: type[RowT]) -> frozenset[str]:
    return frozenset(
        f.name
        for f in fields(row_type)
        if f.name not in PIVOT_FIELDS and f.name not in HIDDEN_COLUMNS
    )
