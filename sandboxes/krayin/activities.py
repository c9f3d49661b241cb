"""`/activities` (NOTES 4.3): create validation, forced `is_done`, participants and links.

`is_done` on create is 1 for a note and 0 otherwise, whatever the body says; update has no
validation. A meeting that overlaps another activity of the same participants is refused:
400 with `X-Requested-With: XMLHttpRequest`, otherwise a redirect back (302).
"""

from __future__ import annotations

from datetime import datetime

from sandboxes.krayin import clock
from sandboxes.krayin.call import Call, Reply, as_int, as_text, foreign_key, id_list
from sandboxes.krayin.errors import MeetingOverlap, ServerError, not_found
from sandboxes.krayin.listing import paginate, query_rows
from sandboxes.krayin.models import Activity, JsonValue
from sandboxes.krayin.resources import activity_resource
from sandboxes.krayin.validation import Validator, is_blank

UNSCHEDULED_TYPES = ("note", "file")


def _validate(call: Call) -> None:
    v = Validator()
    body = call.body
    kind = body.get("type")
    v.required("type", kind)
    if kind == "note" and is_blank(body.get("comment")):
        v.fail("comment", "The comment field is required when type is note.")
    if kind not in UNSCHEDULED_TYPES:
        for key in ("schedule_from", "schedule_to"):
            if is_blank(body.get(key)):
                label = key.replace("_", " ")
                v.fail(key, f"The {label} field is required unless type is in note, file.")
    if kind == "file" and is_blank(body.get("file")):
        v.fail("file", "The file field is required when type is file.")
    v.raise_if_failed()


def _moment(call: Call, value: JsonValue) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = clock.parse_local_datetime(str(value), call.tz)
    if parsed is None:
        raise ServerError(f"Could not parse '{value}': Failed to parse time string")
    return parsed


def _participants(call: Call, value: JsonValue) -> tuple[list[int], list[int]]:
    raw = value if isinstance(value, dict) else {}
    users, persons = id_list(raw.get("users")), id_list(raw.get("persons"))
    for user_id in users:
        if user_id not in call.db.users:
            raise foreign_key("user_id", "activity_participants")
    for person_id in persons:
        if person_id not in call.db.persons:
            raise foreign_key("person_id", "activity_participants")
    return users, persons


def _check_overlap(call: Call, activity: Activity) -> None:
    """ActivityRepository::isDurationOverlapping for the new participants."""
    if activity.schedule_from is None or activity.schedule_to is None:
        return
    for other in call.db.activities.values():
        if other.id == activity.id or other.schedule_from is None or other.schedule_to is None:
            continue
        shared = set(other.participant_users) & set(activity.participant_users) or set(
            other.participant_persons
        ) & set(activity.participant_persons)
        if (
            shared
            and other.schedule_from < activity.schedule_to
            and other.schedule_to > activity.schedule_from
        ):
            raise MeetingOverlap()


def _link(call: Call, activity: Activity) -> None:
    """The activity.create.after listener: the first of lead_id / person_id present."""
    body = call.body
    if body.get("lead_id") is not None:
        lead_id = as_int(body["lead_id"])
        if lead_id not in call.db.leads:
            raise ServerError("Call to a member function activities() on null (lead not found)")
        if lead_id is not None and lead_id not in activity.lead_ids:
            activity.lead_ids.append(lead_id)
    elif body.get("person_id") is not None:
        person_id = as_int(body["person_id"])
        if person_id not in call.db.persons:
            raise ServerError("Call to a member function activities() on null (person not found)")
        if person_id is not None and person_id not in activity.person_ids:
            activity.person_ids.append(person_id)


def store(call: Call) -> Reply:
    _validate(call)
    body = call.body
    kind = as_text(body.get("type")) or ""
    users, persons = _participants(call, body.get("participants"))
    at = clock.now()
    activity = Activity(
        id=call.db.next_id("activities"),
        title=as_text(body.get("title")),
        type=kind,
        comment=as_text(body.get("comment")),
        additional=body.get("additional"),
        schedule_from=_moment(call, body.get("schedule_from")),
        schedule_to=_moment(call, body.get("schedule_to")),
        is_done=1 if kind == "note" else 0,
        user_id=call.me.id,
        location=as_text(body.get("location")),
        created_at=at,
        updated_at=at,
        participant_users=users,
        participant_persons=persons,
    )
    if "participants" in body:
        _check_overlap(call, activity)
    _link(call, activity)
    call.db.activities[activity.id] = activity
    call.sandbox.emit("activity.create.after", activity)
    return 200, {
        "data": activity_resource(call.db, activity),
        "message": "Activity created successfully.",
    }


def _activity(call: Call, activity_id: int) -> Activity:
    activity = call.db.activities.get(activity_id)
    if activity is None:
        raise not_found("activity", activity_id)
    return activity


def update(call: Call, activity_id: int) -> Reply:
    """No validation: any fillable column may be sent, e.g. `{"is_done": 1}`."""
    activity = _activity(call, activity_id)
    body = call.body
    for key in ("title", "type", "comment", "location"):
        if key in body:
            setattr(activity, key, as_text(body[key]))
    if "additional" in body:
        activity.additional = body["additional"]
    for key in ("schedule_from", "schedule_to"):
        if key in body:
            setattr(activity, key, _moment(call, body[key]))
    if "is_done" in body:
        activity.is_done = as_int(body["is_done"]) or 0
    if "user_id" in body:
        activity.user_id = as_int(body["user_id"])
    if "participants" in body:
        activity.participant_users, activity.participant_persons = _participants(
            call, body["participants"]
        )
    _link(call, activity)
    activity.updated_at = clock.now()
    call.sandbox.emit("activity.update.after", activity)
    return 200, {
        "data": activity_resource(call.db, activity),
        "message": "Activity updated successfully.",
    }


def destroy(call: Call, activity_id: int) -> Reply:
    activity = _activity(call, activity_id)
    call.sandbox.emit("activity.delete.before", activity)
    del call.db.activities[activity.id]
    return 200, {"message": "Activity deleted successfully."}


def index(call: Call) -> Reply:
    rows = query_rows(list(call.db.activities.values()), call.args, Activity, call.tz)
    return 200, paginate(rows, call.args, call.url, lambda a: activity_resource(call.db, a))


def show(call: Call, activity_id: int) -> Reply:
    return 200, {"data": activity_resource(call.db, _activity(call, activity_id))}


def mass_update(call: Call) -> Reply:
    raw = call.body.get("indices")
    done = as_int(call.body.get("value")) or 0
    for activity_id in id_list(raw):
        activity = call.db.activities.get(activity_id)
        if activity is not None:
            activity.is_done = done
            activity.updated_at = clock.now()
    return 200, {"message": "Activities updated successfully."}


def mass_destroy(call: Call) -> Reply:
    for activity_id in id_list(call.body.get("indices")):
        call.db.activities.pop(activity_id, None)
    return 200, {"message": "Activities deleted successfully."}
