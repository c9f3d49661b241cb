"""`/leads` (NOTES 4.2): LeadForm validation, the stage/pipeline rules and the traps.

Kept on purpose: a body without the `lead_pipeline_stage_id` key is a 500 (the controller
reads it unconditionally); `lead_pipeline_id` is always derived from the stage; won/lost set
`closed_at`; every update path nulls an absent `expected_close_date`; a lead without a sales
owner is stored and then fails to render (500).
"""

from __future__ import annotations

from datetime import datetime

from sandboxes.krayin import audit, clock
from sandboxes.krayin.call import (
    Call,
    Reply,
    as_int,
    as_text,
    foreign_key,
    not_null,
    undefined_key,
)
from sandboxes.krayin.errors import ServerError, not_found
from sandboxes.krayin.listing import paginate, query_rows
from sandboxes.krayin.models import JsonObject, JsonValue, Lead, Person, Stage
from sandboxes.krayin.persons import create_person_row, validate_person
from sandboxes.krayin.resources import activity_resource, lead_resource
from sandboxes.krayin.search import FieldReader, search_rows
from sandboxes.krayin.seed import CLOSED_STAGE_CODES
from sandboxes.krayin.validation import Validator, to_decimal

LEAD_ATTRIBUTES = (
    "title",
    "description",
    "lead_value",
    "lead_source_id",
    "lead_type_id",
    "user_id",
    "expected_close_date",
    "lead_pipeline_id",
    "lead_pipeline_stage_id",
)
REQUIRED_LEAD_ATTRIBUTES = frozenset(
    {"title", "lead_value", "lead_source_id", "lead_type_id", "lead_pipeline_id",
     "lead_pipeline_stage_id"}
)  # fmt: skip


# -- validation --------------------------------------------------------------------------


def _validate(call: Call) -> None:
    """LeadForm: the lead attributes present, then `person.*` for the person attributes."""
    v = Validator()
    body = call.body
    for key, value in body.items():
        if key not in LEAD_ATTRIBUTES:
            continue
        if key in REQUIRED_LEAD_ATTRIBUTES and not v.required(key, value):
            continue
        if key == "lead_value" and value is not None:
            v.decimal(key, value)
        elif key == "expected_close_date":
            parsed = clock.parse_local_date(value, call.tz) if isinstance(value, str) else None
            local = parsed.astimezone(call.tz).date() if parsed else None
            v.date_after(key, value, local, clock.local_yesterday(call.tz))
    person = body.get("person")
    if isinstance(person, dict):
        person_id = as_int(person.get("id")) if "id" in person else None
        validate_person(call, v, person, "person.", person_id)
    v.raise_if_failed()


# -- writes ------------------------------------------------------------------------------


def _stage(call: Call, value: JsonValue) -> Stage:
    stage_id = as_int(value)
    stage = call.db.stages.get(stage_id) if stage_id is not None else None
    if stage is None:
        raise not_found("stage", value)
    return stage


def _person_id(call: Call, body: JsonObject) -> int | None:
    """`person: {"id"}` links (findOrFail); `person: {...}` creates; else `person_id`."""
    person = body.get("person")
    if isinstance(person, dict):
        if "id" in person:
            person_id = as_int(person["id"])
            if person_id is None or person_id not in call.db.persons:
                raise not_found("person", person.get("id"))
            return person_id
        return create_person_row(call, person).id
    if "person_id" in body:
        person_id = as_int(body["person_id"])
        if person_id is not None and person_id not in call.db.persons:
            raise foreign_key("person_id", "leads")
        return person_id
    return None


def _lookup(call: Call, table: str, value: JsonValue, column: str) -> int | None:
    record_id = as_int(value)
    if record_id is not None and record_id not in getattr(call.db, table):
        raise foreign_key(column, "leads")
    return record_id


def _close_date(call: Call, value: JsonValue) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = clock.parse_local_date(value, call.tz) if isinstance(value, str) else None
    if parsed is None:
        parsed = clock.parse_local_datetime(str(value), call.tz)
    if parsed is None:
        raise ServerError(f"Could not parse '{value}': Failed to parse time string")
    return parsed


def _apply_stage(lead: Lead, stage: Stage, at: datetime) -> None:
    lead.lead_pipeline_stage_id = stage.id
    lead.lead_pipeline_id = stage.lead_pipeline_id
    lead.closed_at = at if stage.code in CLOSED_STAGE_CODES else None


def _apply_attributes(call: Call, lead: Lead, body: JsonObject) -> None:
    """LeadRepository::update: attribute keys present; an absent close date becomes null."""
    if "title" in body:
        if body["title"] is None:
            raise not_null("title", "leads")
        lead.title = as_text(body["title"]) or ""
    if "description" in body:
        lead.description = as_text(body["description"])
    if "lead_value" in body:
        lead.lead_value = to_decimal(body["lead_value"])
    for key in ("lead_source_id", "lead_type_id"):
        if key in body:
            table = "sources" if key == "lead_source_id" else "types"
            value = _lookup(call, table, body[key], key)
            if value is None:
                raise not_null(key, "leads")
            setattr(lead, key, value)
    if "user_id" in body:
        lead.user_id = _lookup(call, "users", body["user_id"], "user_id")
    lead.expected_close_date = _close_date(call, body.get("expected_close_date"))


def store(call: Call) -> Reply:
    _validate(call)
    body = call.body
    if "lead_pipeline_stage_id" not in body:
        raise undefined_key("lead_pipeline_stage_id")
    stage = _stage(call, body["lead_pipeline_stage_id"])
    for key in ("title", "lead_source_id", "lead_type_id"):
        if body.get(key) is None:
            raise not_null(key, "leads")
    person_id = _person_id(call, body)
    if person_id is None:
        raise not_null("person_id", "leads")
    at = clock.now()
    lead = Lead(
        id=call.db.next_id("leads"),
        title=as_text(body["title"]) or "",
        description=as_text(body.get("description")),
        lead_value=to_decimal(body.get("lead_value")),
        status=1,
        lost_reason=None,
        closed_at=None,
        expected_close_date=_close_date(call, body.get("expected_close_date")),
        user_id=_lookup(call, "users", body.get("user_id"), "user_id"),
        person_id=person_id,
        lead_source_id=_lookup(call, "sources", body["lead_source_id"], "lead_source_id") or 0,
        lead_type_id=_lookup(call, "types", body["lead_type_id"], "lead_type_id") or 0,
        lead_pipeline_id=stage.lead_pipeline_id,
        lead_pipeline_stage_id=stage.id,
        created_at=at,
        updated_at=at,
    )
    _apply_stage(lead, stage, at)
    call.db.leads[lead.id] = lead
    audit.log_created(call.db, call.me.id, lead)
    call.sandbox.emit("lead.create.after", lead)
    return 200, {"data": lead_resource(call.db, lead), "message": "Lead created successfully."}


def _lead(call: Call, lead_id: int) -> Lead:
    lead = call.db.leads.get(lead_id)
    if lead is None:
        raise not_found("lead", lead_id)
    return lead


def _updated(call: Call, lead: Lead, before: dict[str, object]) -> Reply:
    audit.log_changes(call.db, call.tz, call.me.id, before, lead)
    lead.updated_at = clock.now()
    call.sandbox.emit("lead.update.after", lead)
    return 200, {"data": lead_resource(call.db, lead), "message": "Lead updated successfully."}


def update(call: Call, lead_id: int) -> Reply:
    _validate(call)
    body = call.body
    if "lead_pipeline_stage_id" not in body:
        raise undefined_key("lead_pipeline_stage_id")
    lead = _lead(call, lead_id)
    before = audit.snapshot(lead)
    stage = _stage(call, body["lead_pipeline_stage_id"])
    _apply_attributes(call, lead, body)
    person_id = _person_id(call, body)
    if person_id is not None:
        lead.person_id = person_id
    _apply_stage(lead, stage, clock.now())
    return _updated(call, lead, before)


def update_attributes(call: Call, lead_id: int) -> Reply:
    """`PUT leads/attributes/edit/{id}`: no validation at all."""
    lead = _lead(call, lead_id)
    before = audit.snapshot(lead)
    _apply_attributes(call, lead, call.body)
    return _updated(call, lead, before)


def move_stage(call: Call, lead: Lead, stage: Stage) -> None:
    """A stage change as LeadRepository::update does it, shared with the control endpoint."""
    if stage.lead_pipeline_id != lead.lead_pipeline_id:
        raise not_found("stage", stage.id)
    _apply_stage(lead, stage, clock.now())
    lead.expected_close_date = None


def update_stage(call: Call, lead_id: int) -> Reply:
    value = call.body.get("lead_pipeline_stage_id")
    v = Validator()
    if v.required("lead_pipeline_stage_id", value):
        stage_id = as_int(value) if isinstance(value, int | str) else None
        v.exists("lead_pipeline_stage_id", stage_id in call.db.stages)
    v.raise_if_failed()
    lead = _lead(call, lead_id)
    before = audit.snapshot(lead)
    move_stage(call, lead, _stage(call, value))
    return _updated(call, lead, before)


def delete_lead(call: Call, lead: Lead) -> None:
    call.sandbox.emit("lead.delete.before", lead)
    # LogsActivity's `deleting` hook: `$model->activities()->delete()` removes every activity
    # attached to the lead, the user's calls and notes included.
    for activity_id in [a.id for a in call.db.activities.values() if lead.id in a.lead_ids]:
        del call.db.activities[activity_id]
    del call.db.leads[lead.id]


def destroy(call: Call, lead_id: int) -> Reply:
    delete_lead(call, _lead(call, lead_id))
    return 200, {"message": "Lead deleted successfully."}


def _indices(call: Call) -> list[Lead]:
    raw = call.body.get("indices")
    ids = [as_int(i) for i in raw] if isinstance(raw, list) else []
    return [call.db.leads[i] for i in ids if i is not None and i in call.db.leads]


def mass_update(call: Call) -> Reply:
    stage = _stage(call, call.body.get("value"))
    for lead in _indices(call):
        before = audit.snapshot(lead)
        _apply_stage(lead, stage, clock.now())
        audit.log_changes(call.db, call.tz, call.me.id, before, lead)
        lead.updated_at = clock.now()
        call.sandbox.emit("lead.update.after", lead)
    return 200, {"message": "Leads updated successfully."}


def mass_destroy(call: Call) -> Reply:
    for lead in _indices(call):
        delete_lead(call, lead)
    return 200, {"message": "Leads deleted successfully."}


# -- reads -------------------------------------------------------------------------------


def index(call: Call) -> Reply:
    rows = query_rows(list(call.db.leads.values()), call.args, Lead, call.tz)
    return 200, paginate(rows, call.args, call.url, lambda lead: lead_resource(call.db, lead))


def show(call: Call, lead_id: int) -> Reply:
    return 200, {"data": lead_resource(call.db, _lead(call, lead_id))}


def _column_reader(name: str) -> FieldReader[Lead]:
    return lambda lead: getattr(lead, name)


def _readers(call: Call) -> dict[str, FieldReader[Lead]]:
    def user_name(lead: Lead) -> object:
        user = call.db.users.get(lead.user_id) if lead.user_id else None
        return user.name if user else None

    def person_name(lead: Lead) -> object:
        person: Person | None = call.db.persons.get(lead.person_id)
        return person.name if person else None

    readers: dict[str, FieldReader[Lead]] = {
        name: _column_reader(name)
        for name in (
            "title", "lead_value", "status", "user_id", "person_id", "lead_source_id",
            "lead_type_id", "lead_pipeline_id", "lead_pipeline_stage_id", "created_at",
            "closed_at", "expected_close_date",
        )
    }  # fmt: skip
    readers["user.name"] = user_name
    readers["person.name"] = person_name
    return readers


def search(call: Call) -> Reply:
    rows = sorted(call.db.leads.values(), key=lambda lead: lead.id)
    found = search_rows(rows, call.args, _readers(call), Lead, call.tz)
    return 200, {"data": [lead_resource(call.db, lead) for lead in found]}


def activities(call: Call, lead_id: int) -> Reply:
    _lead(call, lead_id)
    rows = [a for a in call.db.activities.values() if lead_id in a.lead_ids]
    rows.sort(key=lambda a: a.id, reverse=True)
    return 200, {"data": [activity_resource(call.db, a) for a in rows]}
