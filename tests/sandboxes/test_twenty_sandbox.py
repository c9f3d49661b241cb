"""The Twenty sandbox behaves like Twenty: dynamic schema, strict validation, limits, webhooks.

Every test talks real HTTP to an in-process sandbox (gql's RequestsHTTPTransport and requests),
so what passes here is what the ERP's client code will see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from graphql import build_schema
from graphql.type import is_enum_type, is_input_object_type, is_object_type
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devstack.shared_folder import REPOSITORY_ROOT, contracts
from sandboxes.twenty.server import SandboxHandle, start_sandbox
from sandboxes.twenty.webhooks import encode_body, sign
from tests.infrastructure.waiting import wait_for

KEY = "test-api-key"
CONTRACT = REPOSITORY_ROOT / "sandboxes" / "twenty" / "contract"
EXAMPLES = CONTRACT / "examples"
SHARED_CONTRACT = contracts("twenty")
PERSON_ID = "3f2b9c1e-8d4a-4b7e-9a1c-5e6f7a8b9c0d"  # the person the examples point at


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    """The suite-wide fixture clears Django's cache; this module runs without Django."""


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with start_sandbox(api_key=KEY, api_key_name="kgc-django-sync") as handle:
        yield handle


@pytest.fixture
def sb(server: SandboxHandle) -> SandboxHandle:
    """A fresh workspace per test (reset also refills the rate-limit buckets)."""
    requests.post(f"{server.url}/_sandbox/rate-limit", json={"calls_per_minute": 100}, timeout=5)
    requests.post(f"{server.url}/_sandbox/reset", timeout=5).raise_for_status()
    return server


@pytest.fixture
def model(sb: SandboxHandle) -> SandboxHandle:
    requests.post(f"{sb.url}/_sandbox/bootstrap", timeout=5).raise_for_status()
    return sb


def client(
    handle: SandboxHandle, endpoint: str = "graphql", *, fetch_schema: bool = False
) -> Client:
    transport = RequestsHTTPTransport(
        url=f"{handle.url}/{endpoint}", headers=handle.headers, timeout=10, retries=0
    )
    return Client(transport=transport, fetch_schema_from_transport=fetch_schema)


def request(query: str, variables: dict[str, Any] | None = None) -> Any:
    document = gql(query)
    document.variable_values = variables
    return document


def run(
    handle: SandboxHandle, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> Any:
    return client(handle, **kw).execute(request(query, variables))


def post(
    handle: SandboxHandle,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    endpoint: str = "graphql",
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> requests.Response:
    return requests.post(
        f"{handle.url}/{endpoint}",
        json={"query": query, "variables": variables or {}},
        headers=handle.headers if headers is None else headers,
        timeout=timeout,
    )


def error_of(exc_info: pytest.ExceptionInfo[TransportQueryError]) -> dict[str, Any]:
    assert exc_info.value.errors
    return exc_info.value.errors[0]


def example(name: str) -> tuple[str, dict[str, Any]]:
    query = (EXAMPLES / f"{name}.graphql").read_text()
    variables = json.loads((EXAMPLES / f"{name}.variables.json").read_text())
    return query, variables


def make_people(handle: SandboxHandle, count: int, prefix: str = "P") -> list[dict[str, Any]]:
    data = [
        {
            "name": {"firstName": f"{prefix}{i:03d}", "lastName": "Test"},
            "emails": {"primaryEmail": f"{prefix.lower()}{i:03d}@example.com"},
            "kgcPartnerId": f"KGC-{prefix}{i:05d}",
        }
        for i in range(count)
    ]
    result = run(
        handle, "mutation($d: [PersonCreateInput!]!) { createPeople(data: $d) { id } }", {"d": data}
    )
    return result["createPeople"]


CREATE_PERSON = """
mutation CreatePerson($data: PersonCreateInput!, $upsert: Boolean) {
  createPerson(data: $data, upsert: $upsert) { id kgcPartnerId emails { primaryEmail } deletedAt }
}"""


# ---------------------------------------------------------------------- schema lifecycle


def test_fresh_workspace_has_only_the_standard_model(sb: SandboxHandle) -> None:
    query, variables = example("find-people-by-kgc-partner-ids")
    with pytest.raises(TransportQueryError) as exc_info:
        run(sb, query, variables)
    messages = [e["message"] for e in exc_info.value.errors or []]
    assert {e["extensions"]["code"] for e in exc_info.value.errors or []} == {
        "GRAPHQL_VALIDATION_FAILED"
    }
    assert 'Field "kgcPartnerId" is not defined by type "PersonFilterInput".' in messages
    assert 'Cannot query field "kgcPartnerId" on type "Person".' in messages

    standard = run(
        sb, "{ people(first: 5) { totalCount edges { node { id name { firstName } } } } }"
    )
    assert standard["people"]["totalCount"] == 0
    with pytest.raises(TransportQueryError):
        run(sb, "{ rentalRecords(first: 1) { totalCount } }")


def _create_kgc_model_through_metadata(handle: SandboxHandle) -> None:
    """NOTES section 5's flow, exactly as the integration's bootstrap will run it."""
    meta = client(handle, "metadata")
    objects = meta.execute(
        gql("{ objects(paging: {first: 200}) { edges { node { id nameSingular isCustom } } } }")
    )["objects"]["edges"]
    person_id = next(e["node"]["id"] for e in objects if e["node"]["nameSingular"] == "person")
    create_field = """mutation($input: CreateOneFieldMetadataInput!) {
      createOneField(input: $input) { id name type } }"""
    create_object = """mutation($input: CreateOneObjectInput!) {
      createOneObject(input: $input) { id nameSingular } }"""

    def field(object_id: str, **spec: Any) -> None:
        meta.execute(
            request(create_field, {"input": {"field": {"objectMetadataId": object_id, **spec}}})
        )

    def select(values: list[str]) -> list[dict[str, Any]]:
        return [
            {"value": v, "label": v.title(), "position": i, "color": "green"}
            for i, v in enumerate(values)
        ]

    field(
        person_id,
        type="TEXT",
        name="kgcPartnerId",
        label="KGC Partner ID",
        isNullable=True,
        isUnique=True,
    )
    field(person_id, type="TEXT", name="kgcTenant", label="KGC Tenant")
    field(
        person_id,
        type="SELECT",
        name="paymentStatus",
        label="Payment Status",
        options=select(["GOOD", "LATE", "BLOCKED"]),
        defaultValue="'GOOD'",
    )
    field(person_id, type="BOOLEAN", name="isBusiness", label="Is Business")
    field(person_id, type="NUMBER", name="totalRentals", label="Total Rentals")
    field(person_id, type="CURRENCY", name="totalRevenue", label="Total Revenue")
    field(person_id, type="DATE", name="lastRentalDate", label="Last Rental Date")
    field(person_id, type="DATE", name="lastServiceDate", label="Last Service Date")
    customs = {
        "rentalRecord": (
            "rentalRecords",
            "Rental Records",
            [
                dict(type="TEXT", name="kgcRentalId", label="KGC Rental ID", isUnique=True),
                dict(type="TEXT", name="machineName", label="Machine"),
                dict(type="DATE", name="rentalStart", label="Start"),
                dict(type="DATE", name="rentalEnd", label="End"),
                dict(type="NUMBER", name="totalDays", label="Days"),
                dict(type="CURRENCY", name="totalCost", label="Cost"),
                dict(
                    type="SELECT",
                    name="status",
                    label="Status",
                    options=select(["ACTIVE", "COMPLETED", "LATE"]),
                ),
            ],
        ),
        "serviceRecord": (
            "serviceRecords",
            "Service Records",
            [
                dict(type="TEXT", name="kgcWorklogId", label="KGC Worklog ID", isUnique=True),
                dict(type="TEXT", name="machineType", label="Machine type"),
                dict(type="TEXT", name="issueDescription", label="Issue"),
                dict(type="CURRENCY", name="repairCost", label="Repair cost"),
                dict(
                    type="SELECT",
                    name="status",
                    label="Status",
                    options=select(["IN_PROGRESS", "COMPLETED"]),
                ),
                dict(type="DATE_TIME", name="completedAt", label="Completed at"),
            ],
        ),
        "salesRecord": (
            "salesRecords",
            "Sales Records",
            [
                dict(type="TEXT", name="kgcOrderId", label="KGC Order ID", isUnique=True),
                dict(type="RAW_JSON", name="items", label="Items"),
                dict(type="CURRENCY", name="totalAmount", label="Total"),
                dict(type="DATE", name="orderDate", label="Order date"),
                dict(type="DATE_TIME", name="deliveredAt", label="Delivered at"),
                dict(
                    type="SELECT",
                    name="status",
                    label="Status",
                    options=select(["PENDING", "DELIVERED"]),
                ),
            ],
        ),
    }
    for singular, (plural, inverse_label, fields) in customs.items():
        created = meta.execute(
            request(
                create_object,
                {
                    "input": {
                        "object": {
                            "nameSingular": singular,
                            "namePlural": plural,
                            "labelSingular": singular,
                            "labelPlural": plural,
                            "isLabelSyncedWithName": False,
                        }
                    }
                },
            )
        )["createOneObject"]
        field(
            created["id"],
            type="RELATION",
            name="person",
            label="Person",
            isNullable=True,
            relationCreationPayload={
                "type": "MANY_TO_ONE",
                "targetObjectMetadataId": person_id,
                "targetFieldLabel": inverse_label,
                "targetFieldIcon": "IconList",
            },
        )
        for spec in fields:
            field(created["id"], **spec)


def _signature(schema: Any, name: str) -> Any:
    t = schema.type_map[name]
    if is_object_type(t):
        return {
            n: (str(f.type), {a: str(x.type) for a, x in f.args.items()})
            for n, f in t.fields.items()
        }
    if is_input_object_type(t):
        return {n: str(f.type) for n, f in t.fields.items()}
    if is_enum_type(t):
        return sorted(t.values)
    return None


def test_metadata_bootstrap_then_every_example_runs(sb: SandboxHandle) -> None:
    _create_kgc_model_through_metadata(sb)

    # The generated /graphql schema now equals the contract's, type for type.
    sdl = requests.get(f"{sb.url}/_sandbox/schema", timeout=5).text
    generated = build_schema(sdl)
    contract = build_schema((CONTRACT / "core-subset.graphql").read_text())
    for name in contract.type_map:
        if not name.startswith("__"):
            assert name in generated.type_map, name
            assert _signature(contract, name) == _signature(generated, name), name

    # Introspection works, so gql can validate documents client-side.
    typed = client(sb, fetch_schema=True)
    run_query = lambda name: typed.execute(request(*example(name)))  # noqa: E731
    upserted = run_query("create-people-upsert")["createPeople"]
    assert [p["kgcPartnerId"] for p in upserted] == ["KGC-004217", "KGC-004218"]
    assert upserted[0]["totalRevenue"] == {"amountMicros": 129000000, "currencyCode": "EUR"}
    typed.execute(request(CREATE_PERSON, {"data": {"id": PERSON_ID, "kgcPartnerId": "KGC-000001"}}))
    rentals = run_query("create-rental-records")["createRentalRecords"]
    assert {r["personId"] for r in rentals} == {PERSON_ID}
    found = run_query("find-rental-record-by-kgc-rental-id")["rentalRecords"]["edges"]
    assert found[0]["node"]["person"] == {"id": PERSON_ID, "kgcPartnerId": "KGC-000001"}
    assert found[0]["node"]["rentalStart"] == "2026-03-10"
    sale = run_query("create-sales-record")["createSalesRecord"]
    assert sale["items"][0]["sku"] == "BLD-100"
    service = run_query("create-service-record")["createServiceRecord"]
    assert service["completedAt"] == "2026-02-21T14:30:00.000Z"
    people = run_query("find-people-by-kgc-partner-ids")["people"]
    assert sorted(e["node"]["kgcPartnerId"] for e in people["edges"]) == [
        "KGC-004217",
        "KGC-004218",
    ]
    updated = run_query("update-person")["updatePerson"]
    assert updated["paymentStatus"] == "BLOCKED"
    assert updated["lastServiceDate"] == "2026-02-21"
    nested = typed.execute(
        request(
            "query($id: UUID!) { person(filter: {id: {eq: $id}}) { rentalRecords(first: 50) "
            "{ totalCount edges { node { kgcRentalId } } } } }",
            {"id": PERSON_ID},
        )
    )
    assert nested["person"]["rentalRecords"]["totalCount"] == 2
    destroyed = run_query("destroy-person")["destroyPerson"]
    assert destroyed == {"id": PERSON_ID, "kgcPartnerId": "KGC-000001"}
    # onDelete SET_NULL: the rental records lost their person.
    left = run(sb, "{ rentalRecords(first: 10) { edges { node { personId } } } }")
    assert {e["node"]["personId"] for e in left["rentalRecords"]["edges"]} == {None}


def test_metadata_validation_errors(sb: SandboxHandle) -> None:
    meta = client(sb, "metadata")
    create_object = (
        "mutation($input: CreateOneObjectInput!) { createOneObject(input: $input) { id } }"
    )
    with pytest.raises(TransportQueryError) as exc_info:
        meta.execute(
            request(
                create_object,
                {
                    "input": {
                        "object": {
                            "nameSingular": "person",
                            "namePlural": "persons",
                            "labelSingular": "P",
                            "labelPlural": "Ps",
                        }
                    }
                },
            )
        )
    error = error_of(exc_info)
    assert error["extensions"]["code"] == "METADATA_VALIDATION_FAILED"
    messages = [e["message"] for e in error["extensions"]["errors"]["objectMetadata"][0]["errors"]]
    assert "Object already exists" in messages
    requests.post(f"{sb.url}/_sandbox/bootstrap", timeout=5)
    objects = meta.execute(
        gql("{ objects(paging: {first: 200}) { edges { node { id nameSingular } } } }")
    )
    person_id = next(
        e["node"]["id"]
        for e in objects["objects"]["edges"]
        if e["node"]["nameSingular"] == "person"
    )
    bad_select = {
        "objectMetadataId": person_id,
        "type": "SELECT",
        "name": "tier",
        "label": "Tier",
        "options": [{"value": "gold", "label": "Gold", "position": 0, "color": "yellow"}],
    }
    with pytest.raises(TransportQueryError) as exc_info:
        meta.execute(
            request(
                "mutation($input: CreateOneFieldMetadataInput!) "
                "{ createOneField(input: $input) { id } }",
                {"input": {"field": bad_select}},
            )
        )
    failures = error_of(exc_info)["extensions"]["errors"]["fieldMetadata"][0]["errors"]
    assert failures[0]["message"] == "Value must be in UPPER_CASE and follow snake_case"
    listing = meta.execute(
        request(
            """query($id: UUID!) { object(id: $id) { fieldsList { name type isUnique
              relation { type targetObjectMetadata { nameSingular } } } } }""",
            {"id": person_id},
        )
    )["object"]["fieldsList"]
    by_name = {f["name"]: f for f in listing}
    assert by_name["kgcPartnerId"]["isUnique"] is True
    assert by_name["rentalRecords"]["relation"]["type"] == "ONE_TO_MANY"
    assert (
        by_name["rentalRecords"]["relation"]["targetObjectMetadata"]["nameSingular"]
        == "rentalRecord"
    )


def test_invalid_examples_fail_validation(model: SandboxHandle) -> None:
    literal = (EXAMPLES / "invalid" / "create-person-with-email-field.graphql").read_text()
    response = post(model, literal)
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert 'Field "email" is not defined by type "PersonCreateInput"' in error["message"]

    query = (EXAMPLES / "invalid" / "create-person-with-email-variable.graphql").read_text()
    variables = json.loads(
        (EXAMPLES / "invalid" / "create-person-with-email-variable.variables.json").read_text()
    )
    body = post(model, query, variables).json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (
        'Field "email" is not defined by type "PersonCreateInput"' in body["errors"][0]["message"]
    )
    assert run(model, "{ people(first: 1) { totalCount } }")["people"]["totalCount"] == 0

    # Bad scalars are refused too: UUIDv7, malformed dates, unknown enum values.
    for bad in (
        {"id": "0190a6d2-7b3c-7def-8123-456789abcdef"},
        {"lastRentalDate": "10/03/2026"},
        {"paymentStatus": "PAID"},
    ):
        assert post(model, CREATE_PERSON, {"data": bad}).json()["errors"]


def test_auth_errors(sb: SandboxHandle) -> None:
    wrong = post(
        sb, "{ people(first: 1) { totalCount } }", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 200
    assert wrong.json() == {
        "errors": [
            {
                "message": "Token invalid.",
                "extensions": {
                    "code": "UNAUTHENTICATED",
                    "userFriendlyMessage": "Your session has expired. Please log in again.",
                },
            }
        ]
    }
    anonymous = post(sb, "{ people(first: 1) { totalCount } }", headers={})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    named = requests.post(
        f"{sb.url}/graphql",
        json={"query": "query Q { __typename }", "operationName": "Q"},
        timeout=5,
    )
    assert named.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with pytest.raises(TransportQueryError) as exc_info:
        Client(
            transport=RequestsHTTPTransport(
                url=f"{sb.url}/metadata", headers={"Authorization": "Bearer x"}
            )
        ).execute(gql("{ webhooks { id } }"))
    assert error_of(exc_info)["extensions"]["code"] == "UNAUTHENTICATED"


# ---------------------------------------------------------------------- records


def test_upsert_matches_unique_fields_and_restores_trash(model: SandboxHandle) -> None:
    first = run(
        model,
        CREATE_PERSON,
        {"data": {"kgcPartnerId": "KGC-1", "emails": {"primaryEmail": "a@x.hu"}}},
    )
    person_id = first["createPerson"]["id"]
    again = run(
        model, CREATE_PERSON, {"upsert": True, "data": {"kgcPartnerId": "KGC-1", "city": "Pécs"}}
    )
    assert again["createPerson"]["id"] == person_id
    run(model, "mutation($id: UUID!) { deletePerson(id: $id) { id } }", {"id": person_id})
    restored = run(
        model, CREATE_PERSON, {"upsert": True, "data": {"emails": {"primaryEmail": "a@x.hu"}}}
    )
    assert restored["createPerson"] == {
        "id": person_id,
        "kgcPartnerId": "KGC-1",
        "emails": {"primaryEmail": "a@x.hu"},
        "deletedAt": None,
    }
    people = run(
        model,
        "{ people(first: 5) { totalCount edges { node { city createdBy { source name } } } } }",
    )
    assert people["people"]["totalCount"] == 1
    assert people["people"]["edges"][0]["node"] == {
        "city": "Pécs",
        "createdBy": {"source": "API", "name": "kgc-django-sync"},
    }

    other = run(model, CREATE_PERSON, {"data": {"kgcPartnerId": "KGC-2"}})["createPerson"]["id"]
    with pytest.raises(TransportQueryError) as exc_info:
        run(model, CREATE_PERSON, {"upsert": True, "data": {"id": other, "kgcPartnerId": "KGC-1"}})
    error = error_of(exc_info)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["subCode"] == "UPSERT_MULTIPLE_MATCHING_RECORDS_CONFLICT"
    assert error["message"].startswith("Multiple records found with the same unique field values")


def test_unique_violation_rolls_back_the_whole_call(model: SandboxHandle) -> None:
    run(
        model,
        CREATE_PERSON,
        {"data": {"kgcPartnerId": "KGC-9", "emails": {"primaryEmail": "dup@x.hu"}}},
    )
    for data in ({"emails": {"primaryEmail": "dup@x.hu"}}, {"kgcPartnerId": "KGC-9"}):
        with pytest.raises(TransportQueryError) as exc_info:
            run(model, CREATE_PERSON, {"data": data})
        error = error_of(exc_info)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith(
            "A duplicate entry was detected: unique constraint person.IDX_UNIQUE_"
        )
        assert error["extensions"]["conflictingObjectNameSingular"] == "person"
    batch = [{"kgcPartnerId": "KGC-A"}, {"kgcPartnerId": "KGC-B"}, {"kgcPartnerId": "KGC-A"}]
    with pytest.raises(TransportQueryError):
        run(
            model,
            "mutation($d: [PersonCreateInput!]!) { createPeople(data: $d) { id } }",
            {"d": batch},
        )
    assert run(model, "{ people { totalCount } }")["people"]["totalCount"] == 1
    # Empty values never conflict.
    run(model, CREATE_PERSON, {"data": {"name": {"firstName": "No"}}})
    run(model, CREATE_PERSON, {"data": {"name": {"firstName": "Email"}}})


def test_soft_delete_restore_and_hard_delete(model: SandboxHandle) -> None:
    person_id = run(model, CREATE_PERSON, {"data": {"kgcPartnerId": "KGC-D"}})["createPerson"]["id"]
    deleted = run(
        model, "mutation($id: UUID!) { deletePerson(id: $id) { id deletedAt } }", {"id": person_id}
    )
    assert deleted["deletePerson"]["deletedAt"]
    assert run(model, "{ people { totalCount } }")["people"]["totalCount"] == 0
    trash = run(model, "{ people(filter: {deletedAt: {is: NOT_NULL}}) { totalCount } }")
    assert trash["people"]["totalCount"] == 1
    with pytest.raises(TransportQueryError) as exc_info:
        run(
            model,
            'mutation($id: UUID!) { updatePerson(id: $id, data: {city: "X"}) { id } }',
            {"id": person_id},
        )
    assert error_of(exc_info)["extensions"]["code"] == "NOT_FOUND"
    run(model, "mutation($id: UUID!) { restorePerson(id: $id) { id } }", {"id": person_id})
    assert run(model, "{ people { totalCount } }")["people"]["totalCount"] == 1
    run(model, "mutation($id: UUID!) { destroyPerson(id: $id) { id } }", {"id": person_id})
    everything = """{ people(filter: {or: [{deletedAt: {is: NULL}}, {deletedAt: {is: NOT_NULL}}]})
      { totalCount } }"""
    assert run(model, everything)["people"]["totalCount"] == 0
    with pytest.raises(TransportQueryError) as exc_info:
        run(model, "mutation($id: UUID!) { destroyPerson(id: $id) { id } }", {"id": person_id})
    error = error_of(exc_info)
    error.pop("locations")
    assert error == {
        "message": "Record not found",
        "path": ["destroyPerson"],
        "extensions": {
            "code": "NOT_FOUND",
            "subCode": "RECORD_NOT_FOUND",
            "userFriendlyMessage": "This record does not exist or has been deleted.",
        },
    }


def test_filters_and_ordering(model: SandboxHandle) -> None:
    data = [
        {
            "name": {"firstName": "Anna", "lastName": "Kiss"},
            "emails": {"primaryEmail": "anna@x.hu"},
            "city": "Budapest",
            "paymentStatus": "GOOD",
            "totalRentals": 3,
        },
        {
            "name": {"firstName": "Béla", "lastName": "Nagy"},
            "emails": {"primaryEmail": "bela@x.hu"},
            "city": "Győr",
            "paymentStatus": "LATE",
            "totalRentals": 10,
        },
        {
            "name": {"firstName": "Cili", "lastName": "Kovács"},
            "kgcTenant": None,
            "paymentStatus": "BLOCKED",
        },
    ]
    run(model, "mutation($d: [PersonCreateInput!]!) { createPeople(data: $d) { id } }", {"d": data})

    def names(filter_: str, order: str = "") -> list[str]:
        selection = "edges { node { name { firstName } } }"
        query = f"{{ people(filter: {filter_}{order}) {{ {selection} }} }}"
        return [e["node"]["name"]["firstName"] for e in run(model, query)["people"]["edges"]]

    assert names('{emails: {primaryEmail: {eq: "bela@x.hu"}}}') == ["Béla"]
    assert sorted(names('{city: {in: ["Budapest", "Győr"]}}')) == ["Anna", "Béla"]
    assert names("{kgcTenant: {is: NULL}}") == ["Cili"]
    assert sorted(names('{name: {lastName: {ilike: "k%"}}}')) == ["Anna", "Cili"]
    assert names('{and: [{totalRentals: {gte: 3}}, {not: {city: {eq: "Budapest"}}}]}') == ["Béla"]
    assert sorted(names('{or: [{paymentStatus: {eq: BLOCKED}}, {city: {like: "Bud%"}}]}')) == [
        "Anna",
        "Cili",
    ]
    assert names(
        "{paymentStatus: {gt: GOOD}}", ", orderBy: [{name: {firstName: DescNullsLast}}]"
    ) == ["Cili", "Béla"]


def test_cursor_pagination(model: SandboxHandle) -> None:
    make_people(model, 25)
    query = """query($after: String) {
      people(first: 10, after: $after, orderBy: [{kgcPartnerId: AscNullsFirst}]) {
        totalCount edges { cursor node { kgcPartnerId } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    seen, after, pages = [], None, 0
    while True:
        page = run(model, query, {"after": after})["people"]
        assert page["totalCount"] == 25
        seen += [e["node"]["kgcPartnerId"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == sorted(seen) and len(set(seen)) == 25
    with pytest.raises(TransportQueryError) as exc_info:
        run(model, "{ people(first: 1, last: 1) { totalCount } }")
    assert error_of(exc_info)["message"] == "Cannot provide both first and last"


def test_batch_limit_is_60_records(model: SandboxHandle) -> None:
    data = [{"kgcPartnerId": f"KGC-{i}"} for i in range(61)]
    mutation = "mutation($d: [PersonCreateInput!]!) { createPeople(data: $d) { id } }"
    with pytest.raises(TransportQueryError) as exc_info:
        run(model, mutation, {"d": data})
    error = error_of(exc_info)
    assert error["message"] == "Maximum number of records to upsert is 60."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert run(model, "{ people { totalCount } }")["people"]["totalCount"] == 0
    assert len(run(model, mutation, {"d": data[:60]})["createPeople"]) == 60
    run(model, mutation, {"d": data[60:]})
    with pytest.raises(TransportQueryError) as exc_info:
        run(model, 'mutation { updatePeople(data: {city: "X"}, filter: {}) { id } }')
    assert error_of(exc_info)["message"] == "Cannot update more than 60 records at once"


def test_rate_limit_per_root_field(model: SandboxHandle) -> None:
    requests.post(
        f"{model.url}/_sandbox/rate-limit", json={"calls_per_minute": 5}, timeout=5
    ).raise_for_status()
    for _ in range(3):
        post(model, "{ people(first: 1) { totalCount } }").raise_for_status()
    both = post(
        model, "{ a: people(first: 1) { totalCount } b: people(first: 1) { totalCount } }"
    ).json()
    assert "errors" not in both
    throttled = post(model, "{ people(first: 1) { totalCount } }")
    assert throttled.status_code == 200
    error = throttled.json()["errors"][0]
    assert error["message"] == "Limit reached (5 tokens per 60000 ms)"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # Introspection runs no query runner and costs no token.
    assert "errors" not in post(model, "{ __schema { queryType { name } } }").json()
    state = requests.get(f"{model.url}/_sandbox/state", timeout=5).json()
    assert state["rateLimit"]["throttled"] == 1


def test_query_shape_limits(model: SandboxHandle) -> None:
    aliases = " ".join(f"p{i}: people(first: 1) {{ totalCount }}" for i in range(21))
    error = post(model, f"{{ {aliases} }}").json()["errors"][0]
    assert error["message"] == (
        "Query too complex - Too many root resolvers requested: 21, maximum allowed: 20"
    )
    state = requests.get(f"{model.url}/_sandbox/state", timeout=5).json()
    assert state["calls"]["byField"] == {}


def test_relations_foreign_keys_and_connect(model: SandboxHandle) -> None:
    create = """mutation($d: RentalRecordCreateInput!) {
      createRentalRecord(data: $d) { id personId person { kgcPartnerId } } }"""
    with pytest.raises(TransportQueryError) as exc_info:
        run(model, create, {"d": {"kgcRentalId": "R-1", "personId": str(uuid.uuid4())}})
    assert "violates foreign key constraint" in error_of(exc_info)["message"]
    person_id = run(model, CREATE_PERSON, {"data": {"kgcPartnerId": "KGC-R"}})["createPerson"]["id"]
    connected = run(
        model,
        create,
        {"d": {"kgcRentalId": "R-1", "person": {"connect": {"where": {"kgcPartnerId": "KGC-R"}}}}},
    )
    assert connected["createRentalRecord"]["personId"] == person_id
    assert connected["createRentalRecord"]["person"] == {"kgcPartnerId": "KGC-R"}


# ---------------------------------------------------------------------- webhooks


class Receiver:
    """A local HTTP endpoint that records raw webhook requests."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.arrived:
            self.calls.append((dict(request.headers), request.get_data()))
            self.arrived.notify_all()
        return Response("ok")(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.calls) < count and time.monotonic() < deadline:
                self.arrived.wait(0.1)
        return list(self.calls)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def verify_twenty(
    headers: dict[str, str], raw: bytes, secret: str, max_skew_ms: int = 300_000
) -> bool:
    """The verification NOTES section 6 prescribes (and the ERP implements)."""
    ts = headers.get("X-Twenty-Webhook-Timestamp", "")
    sig = headers.get("X-Twenty-Webhook-Signature", "")
    if not ts.isdigit() or not sig or abs(time.time() * 1000 - int(ts)) > max_skew_ms:
        return False
    mac = hmac.new(secret.encode(), ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, sig)


def test_signer_matches_the_contract_test_vector() -> None:
    vector = json.loads((CONTRACT / "webhooks" / "signature-test-vector.json").read_text())
    headers, raw = vector["headers"], vector["rawBody"].encode()
    assert (
        sign(vector["secret"], headers["X-Twenty-Webhook-Timestamp"], raw)
        == headers["X-Twenty-Webhook-Signature"]
    )
    # The sandbox serialises bodies byte for byte like JSON.stringify.
    assert encode_body(json.loads(raw)) == raw
    mac = hmac.new(
        vector["secret"].encode(),
        headers["X-Twenty-Webhook-Timestamp"].encode() + b":" + raw,
        hashlib.sha256,
    )
    assert mac.hexdigest() == headers["X-Twenty-Webhook-Signature"]


def test_signed_webhooks_for_api_and_manual_changes(model: SandboxHandle) -> None:
    receiver = Receiver()
    try:
        created = run(
            model,
            """mutation($input: CreateWebhookInput!) {
              createWebhook(input: $input) { id secret targetUrl operations } }""",
            {
                "input": {
                    "targetUrl": receiver.url,
                    "operations": ["person.*", "opportunity.updated"],
                    "description": "ERP",
                }
            },
            endpoint="metadata",
        )["createWebhook"]
        secret = created["secret"]
        assert len(secret) == 64
        person_id = run(
            model,
            CREATE_PERSON,
            {"data": {"kgcPartnerId": "KGC-W", "name": {"firstName": "Wébhook"}}},
        )["createPerson"]["id"]
        patched = requests.patch(
            f"{model.url}/_sandbox/records/person/{person_id}",
            json={"data": {"jobTitle": "Boss", "city": "Szeged"}},
            timeout=5,
        )
        assert patched.status_code == 200, patched.text
        opportunity = run(
            model,
            "mutation($d: OpportunityCreateInput!) { createOpportunity(data: $d) { id stage } }",
            {"d": {"name": "Deal", "pointOfContactId": person_id}},
        )["createOpportunity"]
        assert opportunity["stage"] == "NEW"
        moved = requests.post(
            f"{model.url}/_sandbox/opportunity",
            json={"id": opportunity["id"], "stage": "CUSTOMER"},
            timeout=5,
        )
        assert moved.json()["record"]["stage"] == "CUSTOMER"
        calls = receiver.wait_for(3)
        assert len(calls) == 3  # opportunity.created is not subscribed
        bodies = [json.loads(raw) for _, raw in calls]
        assert [b["eventName"] for b in bodies] == [
            "person.created",
            "person.updated",
            "opportunity.updated",
        ]
        for headers, raw in calls:
            assert verify_twenty(headers, raw, secret)
            assert headers["Content-Type"] == "application/json"
            assert len(headers["X-Twenty-Webhook-Nonce"]) == 32
        created_body, updated_body, opportunity_body = bodies
        assert list(created_body) == [
            "targetUrl",
            "eventName",
            "objectMetadata",
            "workspaceId",
            "webhookId",
            "eventDate",
            "record",
        ]
        assert created_body["record"]["kgcPartnerId"] == "KGC-W"
        assert created_body["record"]["createdBy"]["source"] == "API"
        assert "rentalRecords" not in created_body["record"]
        assert updated_body["userId"] and updated_body["workspaceMemberId"]
        assert updated_body["updatedFields"] == ["jobTitle", "city", "updatedBy"]
        assert updated_body["record"]["updatedBy"]["source"] == "MANUAL"
        assert opportunity_body["record"]["stage"] == "CUSTOMER"
        assert opportunity_body["updatedFields"] == ["stage", "updatedBy"]
        assert opportunity_body["objectMetadata"]["nameSingular"] == "opportunity"
    finally:
        receiver.stop()


# ---------------------------------------------------------------------- faults and tooling


def test_fault_modes(model: SandboxHandle) -> None:
    faults = f"{model.url}/_sandbox/faults"
    query = "{ people(first: 1) { totalCount } }"
    requests.post(faults, json={"mode": "500", "count": 1}, timeout=5).raise_for_status()
    assert post(model, query).status_code == 500
    assert post(model, query).status_code == 200

    requests.post(faults, json={"mode": "429", "count": 1, "delay": 2}, timeout=5)
    throttled = post(model, query)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"

    requests.post(faults, json={"mode": "limit", "count": 1}, timeout=5)
    limited = post(model, query)
    assert limited.status_code == 200
    assert limited.json()["errors"][0]["message"].startswith("Limit reached")

    requests.post(faults, json={"mode": "slow", "count": 1, "delay": 0.3}, timeout=5)
    started = time.monotonic()
    assert post(model, query).status_code == 200
    assert time.monotonic() - started >= 0.3

    requests.post(faults, json={"mode": "timeout", "count": 1, "delay": 0.6}, timeout=5)
    with pytest.raises(requests.Timeout):
        post(model, query, timeout=0.2)

    # A lost response: the write happens, the client sees a 500.
    requests.post(faults, json={"mode": "500", "count": 1, "after": True}, timeout=5)
    assert post(model, CREATE_PERSON, {"data": {"kgcPartnerId": "KGC-LOST"}}).status_code == 500
    assert (
        run(model, '{ people(filter: {kgcPartnerId: {eq: "KGC-LOST"}}) { totalCount } }')["people"][
            "totalCount"
        ]
        == 1
    )

    requests.post(faults, json={"mode": "500", "ratio": 0.0}, timeout=5)
    assert post(model, query).status_code == 200
    requests.delete(faults, timeout=5)
    assert requests.post(faults, json={"mode": "explode"}, timeout=5).status_code == 400


def test_request_log_and_state(model: SandboxHandle) -> None:
    make_people(model, 3)
    run(model, "query FindPeople { people(first: 2) { totalCount } }")
    log = requests.get(f"{model.url}/_sandbox/requests", timeout=5).json()
    calls = [
        (r["operationName"], c["field"], c["records"]) for r in log["requests"] for c in r["calls"]
    ]
    assert (None, "createPeople", 3) in calls
    assert ("FindPeople", "people", 0) in calls or ("FindPeople", "people", 2) in calls
    state = requests.get(f"{model.url}/_sandbox/state", timeout=5).json()
    assert state["objects"]["person"] == {"records": 3, "deleted": 0}
    assert state["calls"]["byField"]["createPeople"] == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_serves_and_refuses_public_hosts() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "sandboxes.twenty", "--host", "0.0.0.0", "--api-key", "k"],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=REPOSITORY_ROOT,
    )
    assert refused.returncode != 0 and "only binds 127.0.0.1" in refused.stderr
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandboxes.twenty",
            "--port",
            str(port),
            "--api-key",
            "k",
            "--rate-limit",
            "7",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPOSITORY_ROOT,
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()

        def state() -> dict[str, Any] | None:
            try:
                return requests.get(f"http://127.0.0.1:{port}/_sandbox/state", timeout=1).json()
            except requests.ConnectionError:
                return None

        answer = wait_for(state, timeout=5, interval=0.1, message="the sandbox to answer")
        assert answer["rateLimit"]["callsPerMinute"] == 7
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_vendored_contract_matches_the_shared_one() -> None:
    pairs = [
        ("metadata-subset.graphql", "metadata.graphql"),
        ("core-subset.graphql", "core-subset.graphql"),
    ]
    for shared, vendored in pairs:
        assert (SHARED_CONTRACT / shared).read_text() == (CONTRACT / vendored).read_text()
    for path in (SHARED_CONTRACT / "examples").rglob("*.*"):
        assert (
            path.read_text()
            == (EXAMPLES / path.relative_to(SHARED_CONTRACT / "examples")).read_text()
        )
