"""`/contacts/persons` and `/contacts/organizations` (NOTES 4.1, 4.4, 5).

Person traps kept on purpose: a create/update without `contact_numbers` (or with an empty
list, or a first entry without value) is a 500 after validation passed; an update without
`user_id` clears the sales owner; `GET /contacts/persons/{id}` for an unknown id is a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from sandboxes.krayin import audit, clock
from sandboxes.krayin.call import Call, Reply, as_int, as_text, foreign_key, not_null, undefined_key
from sandboxes.krayin.errors import ServerError, not_found
from sandboxes.krayin.listing import paginate, query_rows
from sandboxes.krayin.models import JsonObject, JsonValue, LabeledValue, Organization, Person
from sandboxes.krayin.resources import activity_resource, organization_resource, person_resource
from sandboxes.krayin.search import FieldReader, search_rows
from sandboxes.krayin.validation import UNIQUE_MESSAGE, Validator

# -- validation --------------------------------------------------------------------------


def _taken(call: Call, code: str, person_id: int | None) -> Callable[[str], bool]:
    def taken(value: str) -> bool:
        return bool(call.db.persons_holding(code, value) - {person_id})

    return taken


def validate_person(
    call: Call, v: Validator, data: JsonObject, prefix: str, person_id: int | None
) -> None:
    """AttributeForm rules for the person attribute codes present in `data`, in key order."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key == "name":
            v.required(path, value)
        elif key == "emails":
            taken = _taken(call, "emails", person_id)
            v.labeled_values(path, value, required=True, is_email=True, taken=taken)
        elif key == "contact_numbers":
            taken = _taken(call, "contact_numbers", person_id)
            v.labeled_values(path, value, required=False, is_email=False, taken=taken)


def _labeled_values(value: JsonValue, column: str) -> list[LabeledValue]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ServerError(f"Invalid value for JSON column persons.{column}")
    return [
        {"value": item.get("value"), "label": item.get("label")}
        for item in value
        if isinstance(item, dict)
    ]


def check_contact_numbers(body: JsonObject) -> None:
    """The REST controller reads contact_numbers[0]['value'] unconditionally (NOTES 4.1)."""
    if "contact_numbers" not in body:
        raise undefined_key("contact_numbers")
    numbers = body["contact_numbers"]
    if not isinstance(numbers, list) or not numbers:
        raise undefined_key("0")
    first = numbers[0]
    if not isinstance(first, dict) or first.get("value") is None:
        raise ServerError('Trying to access array offset on value of type null ("value")')


def _lookup(call: Call, table: str, value: JsonValue, column: str, owner: str) -> int | None:
    record_id = as_int(value)
    if record_id is not None and record_id not in getattr(call.db, table):
        raise foreign_key(column, owner)
    return record_id


def _organization_by_name(call: Call, name: JsonValue) -> int | None:
    """PersonRepository: `organization_name` finds or creates an organization by exact name."""
    text = as_text(name)
    if not text:
        return None
    for org in call.db.organizations.values():
        if org.name == text:
            return org.id
    at = clock.now()
    org = Organization(call.db.next_id("organizations"), text, None, call.me.id, at, at)
    call.db.organizations[org.id] = org
    return org.id


# -- persons -----------------------------------------------------------------------------


def create_person_row(call: Call, data: JsonObject) -> Person:
    """PersonRepository::create (also used for a lead's new `person`)."""
    if data.get("name") is None:
        raise not_null("name", "persons")
    if data.get("emails") is None:
        raise not_null("emails", "persons")
    organization_id = _lookup(
        call, "organizations", data.get("organization_id"), "organization_id", "persons"
    )
    if "organization_name" in data:
        organization_id = _organization_by_name(call, data["organization_name"])
    at = clock.now()
    person = Person(
        id=call.db.next_id("persons"),
        name=as_text(data["name"]) or "",
        emails=_labeled_values(data.get("emails"), "emails"),
        contact_numbers=_labeled_values(data.get("contact_numbers"), "contact_numbers"),
        job_title=as_text(data.get("job_title")),
        organization_id=organization_id,
        user_id=_lookup(call, "users", data.get("user_id"), "user_id", "persons"),
        created_at=at,
        updated_at=at,
    )
    call.db.persons[person.id] = person
    call.db.index_person(person)
    audit.log_created(call.db, call.me.id, person)
    return person


def _person_or_500(call: Call, person_id: int) -> Person:
    """`find()`, not `findOrFail()`: a missing person dereferences null (NOTES 4.1)."""
    person = call.db.persons.get(person_id)
    if person is None:
        raise ServerError('Attempt to read property "id" on null (person not found)')
    return person


def index(call: Call) -> Reply:
    rows = query_rows(list(call.db.persons.values()), call.args, Person, call.tz)
    return 200, paginate(rows, call.args, call.url, lambda p: person_resource(call.db, p))


def _readers(call: Call) -> dict[str, FieldReader[Person]]:
    def org_name(p: Person) -> object:
        org = call.db.organizations.get(p.organization_id) if p.organization_id else None
        return org.name if org else None

    def user_name(p: Person) -> object:
        user = call.db.users.get(p.user_id) if p.user_id else None
        return user.name if user else None

    return {
        "name": lambda p: p.name,
        "emails": lambda p: p.emails,
        "contact_numbers": lambda p: p.contact_numbers,
        "organization_id": lambda p: p.organization_id,
        "job_title": lambda p: p.job_title,
        "organization.name": org_name,
        "user_id": lambda p: p.user_id,
        "user.name": user_name,
    }


def search(call: Call) -> Reply:
    rows = sorted(call.db.persons.values(), key=lambda p: p.id)
    found = search_rows(rows, call.args, _readers(call), Person, call.tz)
    return 200, {"data": [person_resource(call.db, p) for p in found]}


def show(call: Call, person_id: int) -> Reply:
    return 200, {"data": person_resource(call.db, _person_or_500(call, person_id))}


def store(call: Call) -> Reply:
    v = Validator()
    validate_person(call, v, call.body, "", None)
    v.raise_if_failed()
    check_contact_numbers(call.body)
    person = create_person_row(call, call.body)
    call.sandbox.emit("contacts.person.create.after", person)
    return 200, {
        "data": person_resource(call.db, person),
        "message": "Person created successfully.",
    }


def update(call: Call, person_id: int) -> Reply:
    v = Validator()
    validate_person(call, v, call.body, "", person_id)
    v.raise_if_failed()
    check_contact_numbers(call.body)
    person = _person_or_500(call, person_id)
    before = audit.snapshot(person)
    body = call.body
    if "name" in body:
        if body["name"] is None:
            raise not_null("name", "persons")
        person.name = as_text(body["name"]) or ""
    if "emails" in body and body["emails"] is None:
        raise not_null("emails", "persons")
    call.db.unindex_person(person)
    try:
        if "emails" in body:
            person.emails = _labeled_values(body["emails"], "emails")
        person.contact_numbers = _labeled_values(body["contact_numbers"], "contact_numbers")
    finally:
        call.db.index_person(person)
    if "job_title" in body:
        person.job_title = as_text(body["job_title"])
    if "organization_id" in body:
        person.organization_id = _lookup(
            call, "organizations", body["organization_id"], "organization_id", "persons"
        )
    if "organization_name" in body:
        person.organization_id = _organization_by_name(call, body["organization_name"])
    # PersonRepository::update: an absent user_id clears the sales owner.
    person.user_id = _lookup(call, "users", body.get("user_id"), "user_id", "persons")
    audit.log_changes(call.db, call.tz, call.me.id, before, person)
    person.updated_at = clock.now()
    call.sandbox.emit("contacts.person.update.after", person)
    return 200, {
        "data": person_resource(call.db, person),
        "message": "Person updated successfully.",
    }


def delete_person(call: Call, person: Person) -> None:
    """leads.person_id cascades on delete; the person's activities are deleted with it."""
    call.sandbox.emit("contacts.person.delete.before", person)
    for lead_id in [lead.id for lead in call.db.leads.values() if lead.person_id == person.id]:
        del call.db.leads[lead_id]
    for activity_id in [a.id for a in call.db.activities.values() if person.id in a.person_ids]:
        del call.db.activities[activity_id]  # LogsActivity: the person's activities go too
    for activity in call.db.activities.values():
        activity.participant_persons = [i for i in activity.participant_persons if i != person.id]
    call.db.unindex_person(person)
    del call.db.persons[person.id]


def destroy(call: Call, person_id: int) -> Reply:
    person = call.db.persons.get(person_id)
    if person is None:
        raise not_found("person", person_id)
    delete_person(call, person)
    return 200, {"message": "Person deleted successfully."}


def mass_destroy(call: Call) -> Reply:
    indices = call.body.get("indices")
    for person_id in indices if isinstance(indices, list) else []:
        person = call.db.persons.get(as_int(person_id) or 0)
        if person is not None:
            delete_person(call, person)
    return 200, {"message": "Persons deleted successfully."}


def activities(call: Call, person_id: int) -> Reply:
    if person_id not in call.db.persons:
        raise not_found("person", person_id)
    rows = [a for a in call.db.activities.values() if person_id in a.person_ids]
    rows.sort(key=lambda a: a.id, reverse=True)
    return 200, {"data": [activity_resource(call.db, a) for a in rows]}


# -- organizations -----------------------------------------------------------------------


def _validate_organization(call: Call, org_id: int | None) -> None:
    v = Validator()
    if "name" in call.body and v.required("name", call.body["name"]):
        name = as_text(call.body["name"])
        if any(o.name == name and o.id != org_id for o in call.db.organizations.values()):
            v.fail("name", UNIQUE_MESSAGE)
    v.raise_if_failed()


def organization_index(call: Call) -> Reply:
    rows = query_rows(list(call.db.organizations.values()), call.args, Organization, call.tz)
    return 200, paginate(rows, call.args, call.url, organization_resource)


def _organization(call: Call, org_id: int) -> Organization:
    org = call.db.organizations.get(org_id)
    if org is None:
        raise not_found("organization", org_id)
    return org


def organization_show(call: Call, org_id: int) -> Reply:
    return 200, {"data": organization_resource(_organization(call, org_id))}


def organization_store(call: Call) -> Reply:
    _validate_organization(call, None)
    if call.body.get("name") is None:
        raise not_null("name", "organizations")
    at = clock.now()
    org = Organization(
        id=call.db.next_id("organizations"),
        name=as_text(call.body["name"]) or "",
        address=call.body.get("address"),
        user_id=_lookup(call, "users", call.body.get("user_id"), "user_id", "organizations"),
        created_at=at,
        updated_at=at,
    )
    call.db.organizations[org.id] = org
    return 200, {
        "data": organization_resource(org),
        "message": "Organization created successfully.",
    }


def organization_update(call: Call, org_id: int) -> Reply:
    _validate_organization(call, org_id)
    org = _organization(call, org_id)
    if "name" in call.body:
        org.name = as_text(call.body["name"]) or org.name
    if "address" in call.body:
        org.address = call.body["address"]
    if "user_id" in call.body:
        org.user_id = _lookup(call, "users", call.body["user_id"], "user_id", "organizations")
    org.updated_at = clock.now()
    return 200, {
        "data": organization_resource(org),
        "message": "Organization updated successfully.",
    }


def organization_destroy(call: Call, org_id: int) -> Reply:
    org = _organization(call, org_id)
    for person in call.db.persons.values():
        if person.organization_id == org.id:
            person.organization_id = None
    del call.db.organizations[org.id]
    return 200, {"message": "Organization deleted successfully."}
