"""`type: "system"` activities: Krayin's LogsActivity trait on leads and persons.

Read from krayin/laravel-crm (Activity/Traits/LogsActivity.php): creating a lead or person
attaches a system activity titled "Created"; every later save attaches one system activity
per changed column (except id and updated_at) titled "Updated <column>", with
`additional = {"attribute", "new": {"value", "label"}, "old": {"value", "label"}}`. They
show up in every activity listing, which is why clients must filter them out (NOTES 4.3).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sandboxes.krayin import clock
from sandboxes.krayin.models import Activity, JsonValue, Lead, Person, columns
from sandboxes.krayin.state import Tables

IGNORED_COLUMNS = frozenset({"id", "updated_at", "created_at"})


def _json(value: object, tz: ZoneInfo) -> JsonValue:
    """The column value as the JSON `additional` keeps it (dates as stored: local time)."""
    if isinstance(value, datetime):
        return clock.local_text(value, tz)
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    if value is None or isinstance(value, str | int | float | bool | dict):
        return value
    return str(value)


def _attach(db: Tables, activity: Activity, record: Lead | Person) -> None:
    if isinstance(record, Lead):
        activity.lead_ids.append(record.id)
    else:
        activity.person_ids.append(record.id)
    db.activities[activity.id] = activity


def _system(db: Tables, user_id: int | None, title: str, additional: JsonValue) -> Activity:
    at = clock.now()
    return Activity(
        id=db.next_id("activities"),
        title=title,
        type="system",
        comment=None,
        additional=additional,
        schedule_from=None,
        schedule_to=None,
        is_done=1,
        user_id=user_id,
        location=None,
        created_at=at,
        updated_at=at,
    )


def log_created(db: Tables, user_id: int | None, record: Lead | Person) -> None:
    _attach(db, _system(db, user_id, "Created", None), record)


def snapshot(record: Lead | Person) -> dict[str, object]:
    return dict(columns(record))


def log_changes(
    db: Tables, tz: ZoneInfo, user_id: int | None, before: dict[str, object], record: Lead | Person
) -> None:
    after = columns(record)
    for column, new in after.items():
        old = before.get(column)
        if column in IGNORED_COLUMNS or old == new:
            continue
        additional: JsonValue = {
            "attribute": column,
            "new": {"value": _json(new, tz), "label": _json(new, tz)},
            "old": {"value": _json(old, tz), "label": _json(old, tz)},
        }
        _attach(db, _system(db, user_id, f"Updated {column}", additional), record)
