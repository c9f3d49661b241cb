"""JSON resources exactly as krayin/rest-api's Http/Resources classes shape them.

Key order follows the contract files. PersonResource leaves `organization`/`sales_owner`
out (not null) when unset; LeadResource and ActivityResource dereference their user, so a
row without one breaks the whole response with a 500, as in Krayin (NOTES 4.2, 4.3).
"""

from __future__ import annotations

from sandboxes.krayin.clock import iso
from sandboxes.krayin.errors import ServerError
from sandboxes.krayin.models import (
    Activity,
    JsonObject,
    JsonValue,
    LabeledValue,
    Lead,
    NamedSetting,
    Organization,
    Person,
    Pipeline,
    Stage,
    User,
)
from sandboxes.krayin.state import Tables

ROLE_ID = 1


def lead_value_text(value: object) -> str | None:
    """DECIMAL(12,4) comes back from PDO as a string with four decimals."""
    return None if value is None else f"{value:.4f}"


def user_resource(user: User) -> JsonObject:
    role: JsonObject = {
        "id": ROLE_ID,
        "name": "Administrator",
        "description": "Administrator role",
        "permission_type": "all",
        "permissions": None,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.created_at),
    }
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "status": user.status,
        "view_permission": user.view_permission,
        "role": role,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "image": None,
        "image_url": None,
    }


def _required_user(db: Tables, user_id: int | None, owner: str) -> JsonObject:
    user = db.users.get(user_id) if user_id is not None else None
    if user is None:
        raise ServerError(f'Attempt to read property "id" on null ({owner} has no user)')
    return user_resource(user)


def organization_resource(org: Organization) -> JsonObject:
    return {
        "id": org.id,
        "name": org.name,
        "address": org.address,
        "created_at": iso(org.created_at),
        "updated_at": iso(org.updated_at),
    }


def _labeled(values: list[LabeledValue]) -> list[JsonValue]:
    return [{"value": v["value"], "label": v["label"]} for v in values]


def person_resource(db: Tables, person: Person, *, relations: bool = True) -> JsonObject:
    """`relations=False` is the participant form the activity contract shows."""
    body: JsonObject = {
        "id": person.id,
        "name": person.name,
        "emails": _labeled(person.emails),
        "contact_numbers": _labeled(person.contact_numbers),
    }
    org = db.organizations.get(person.organization_id) if person.organization_id else None
    if relations and org is not None:
        body["organization"] = organization_resource(org)
    body["job_title"] = person.job_title
    owner = db.users.get(person.user_id) if person.user_id else None
    if relations and owner is not None:
        body["sales_owner"] = user_resource(owner)
    body["created_at"] = iso(person.created_at)
    body["updated_at"] = iso(person.updated_at)
    return body


def lead_resource(db: Tables, lead: Lead) -> JsonObject:
    person = db.persons.get(lead.person_id)
    return {
        "id": lead.id,
        "title": lead.title,
        "description": lead.description,
        "lead_value": lead_value_text(lead.lead_value),
        "status": lead.status,
        "lost_reason": lead.lost_reason,
        "closed_at": iso(lead.closed_at),
        "user": _required_user(db, lead.user_id, f"lead {lead.id}"),
        "person": person_resource(db, person) if person else None,
        "lead_products": [],
        "lead_source_id": lead.lead_source_id,
        "lead_type_id": lead.lead_type_id,
        "lead_pipeline_id": lead.lead_pipeline_id,
        "lead_pipeline_stage_id": lead.lead_pipeline_stage_id,
        "created_at": iso(lead.created_at),
        "updated_at": iso(lead.updated_at),
        "expected_close_date": iso(lead.expected_close_date),
    }


def activity_resource(db: Tables, activity: Activity) -> JsonObject:
    participants: list[JsonValue] = []
    for user_id in activity.participant_users:
        user = db.users.get(user_id)
        if user is not None:
            participants.append({"user": user_resource(user)})
    for person_id in activity.participant_persons:
        person = db.persons.get(person_id)
        if person is not None:
            participants.append({"person": person_resource(db, person, relations=False)})
    return {
        "id": activity.id,
        "parent_id": activity.parent_id,
        "title": activity.title,
        "type": activity.type,
        "comment": activity.comment,
        "additional": activity.additional,
        "schedule_from": iso(activity.schedule_from),
        "schedule_to": iso(activity.schedule_to),
        "is_done": activity.is_done,
        "user": _required_user(db, activity.user_id, f"activity {activity.id}"),
        "files": [],
        "participants": participants,
        "location": activity.location,
        "created_at": iso(activity.created_at),
        "updated_at": iso(activity.updated_at),
    }


def stage_resource(stage: Stage) -> JsonObject:
    return {
        "id": stage.id,
        "code": stage.code,
        "name": stage.name,
        "lead_value": None,
        "formatted_lead_value": "$0.00",
        "is_user_defined": stage.is_user_defined,
        "created_at": iso(stage.created_at),
        "updated_at": iso(stage.updated_at),
    }


def pipeline_resource(db: Tables, pipeline: Pipeline) -> JsonObject:
    return {
        "id": pipeline.id,
        "name": pipeline.name,
        "is_default": pipeline.is_default,
        "rotten_days": pipeline.rotten_days,
        "stages": [stage_resource(s) for s in db.stages_of(pipeline.id)],
        "created_at": iso(pipeline.created_at),
        "updated_at": iso(pipeline.updated_at),
    }


def named_resource(row: NamedSetting) -> JsonObject:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
