"""The Krayin sandbox behaves like krayin/rest-api: every contract file is replayed against it,
then the traps NOTES.md describes are checked one by one.

Every test talks real HTTP to an in-process sandbox, so what passes here is what the ERP's
Krayin connector will see.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from sandboxes.krayin.server import SandboxHandle, start_sandbox

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_BASE = "https://crm.example.com"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$")
TOKEN = re.compile(r"^\d+\|[A-Za-z0-9]{40}$")
# Leaf values that must equal the contract's, wherever they appear.
EXACT_KEYS = frozenset(
    {"message", "lead_value", "formatted_lead_value", "status", "is_done", "type", "code",
     "label", "is_default", "rotten_days", "view_permission", "permission_type",
     "is_user_defined", "current_page", "last_page", "per_page", "total", "from", "to",
     "active", "job_title", "location", "comment", "title", "description", "email", "name",
     "schedule_from", "schedule_to", "lost_reason", "image", "image_url", "permissions",
     "parent_id", "additional", "address"}
)  # fmt: skip


def _contracts_dir() -> Path:
    for candidate in (
        Path(os.environ.get("KGC_CONTRACTS_DIR", "/nonexistent")) / "krayin",
        REPO_ROOT / "contracts" / "krayin",
        REPO_ROOT.parent / "shared" / "contracts" / "krayin",
    ):
        if (candidate / "NOTES.md").exists():
            return candidate
    pytest.skip("contracts/krayin not found (set KGC_CONTRACTS_DIR)")
    raise AssertionError  # unreachable, keeps type checkers happy


CONTRACTS = _contracts_dir()
REPLAYED: set[str] = set()
LOGIN = json.loads((CONTRACTS / "login.request.json").read_text())


def contract(name: str) -> Any:
    REPLAYED.add(name)
    return json.loads((CONTRACTS / name).read_text())


def replays(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declares which contract files a test replays (checked by test_every_contract_file...)."""
    REPLAYED.update(names)

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        return test

    return mark


# -- comparing answers with contract files ----------------------------------------------------


def assert_like(expected: Any, actual: Any, path: str = "$", key: str = "") -> None:
    """Same keys, same types, same list lengths; exact where the contract is exact."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(actual) == set(expected), (
            f"{path}: keys differ: missing {set(expected) - set(actual)}, "
            f"extra {set(actual) - set(expected)}"
        )
        for k, v in expected.items():
            assert_like(v, actual[k], f"{path}.{k}", k)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), f"{path}: {len(actual)} items, not {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_like(e, a, f"{path}[{i}]", key)
    elif expected is None:
        assert actual is None, f"{path}: expected null, got {actual!r}"
    elif isinstance(expected, str) and ISO_UTC.match(expected):
        assert isinstance(actual, str) and ISO_UTC.match(actual), f"{path}: {actual!r}"
        if key in EXACT_KEYS:
            assert actual == expected, f"{path}: {actual!r} != {expected!r}"
    elif isinstance(expected, str) and expected.startswith(CONTRACT_BASE):
        assert isinstance(actual, str), f"{path}: {actual!r}"
        assert re.sub(r"^http://127\.0\.0\.1:\d+", "", actual) == expected[len(CONTRACT_BASE):]
    else:
        assert type(actual) is type(expected), f"{path}: {actual!r} is not like {expected!r}"
        if key in EXACT_KEYS:
            assert actual == expected, f"{path}: {actual!r} != {expected!r}"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    """Overrides the suite-wide Django cache fixture: these tests need no Django."""


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with start_sandbox(
        email=LOGIN["email"], password=LOGIN["password"], name="API Bot", rate_limit=0
    ) as handle:
        yield handle


class Client:
    """A minimal Krayin client that sends the contract's common headers on every call."""

    def __init__(self, handle: SandboxHandle) -> None:
        self.handle = handle
        self.token = ""
        self.login()

    def login(self) -> requests.Response:
        response = self.request("POST", "/login", json=LOGIN, auth=False)
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]
        return response

    def headers(self, auth: bool = True) -> dict[str, str]:
        headers = dict(contract("common.headers.json"))
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        else:
            headers.pop("Authorization")
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        merged = {**self.headers(auth), **(headers or {})}
        return requests.request(
            method, f"{self.handle.api_url}{path}", headers=merged, timeout=10,
            allow_redirects=False, **kw
        )  # fmt: skip

    def ok(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        response = self.request(method, path, **kw)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def control(self, method: str, path: str, **kw: Any) -> Any:
        response = requests.request(method, f"{self.handle.url}/_sandbox{path}", timeout=15, **kw)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture
def k(server: SandboxHandle) -> Client:
    requests.post(f"{server.url}/_sandbox/reset", timeout=5).raise_for_status()
    return Client(server)


def future(days: int = 30) -> date:
    return date.today() + timedelta(days=days)


# -- building the contract's world ----------------------------------------------------------


def org_request() -> dict[str, Any]:
    """The contract's API user is id 3; the sandbox's is id 1."""
    return {**contract("organization.create.request.json"), "user_id": 1}


def make_org(k: Client) -> int:
    return int(k.ok("POST", "/contacts/organizations", json=org_request())["data"]["id"])


def make_jane(k: Client) -> int:
    """Jane Doe of the contracts, with her organization and sales owner."""
    org_id = make_org(k)
    body = {**contract("person.create.request.json"), "organization_id": org_id, "user_id": 1}
    return int(k.ok("POST", "/contacts/persons", json=body)["data"]["id"])


def make_bob(k: Client) -> int:
    body = {"name": "Bob Stone", "emails": [{"value": "bob@stone.example", "label": "work"}],
            "contact_numbers": [{"value": "5550100", "label": "work"}], "job_title": None}  # fmt: skip
    return int(k.ok("POST", "/contacts/persons", json=body)["data"]["id"])


def lead_request(person_id: int, close: date | None = None) -> dict[str, Any]:
    body = {**contract("lead.create.request.json"), "user_id": 1, "person": {"id": person_id}}
    body["expected_close_date"] = (close or future()).isoformat()
    return body


def make_lead(k: Client, person_id: int, **overrides: Any) -> dict[str, Any]:
    body = {**lead_request(person_id), **overrides}
    data: dict[str, Any] = k.ok("POST", "/leads", json=body)["data"]
    return data


def make_bob_lead(k: Client, bob: int) -> dict[str, Any]:
    body = {"title": "Initech - support contract", "description": None, "lead_value": 8000,
            "lead_source_id": 4, "lead_type_id": 1, "user_id": 1, "lead_pipeline_stage_id": 3,
            "person_id": bob}  # fmt: skip
    data: dict[str, Any] = k.ok("POST", "/leads", json=body)["data"]
    return data


def close_date_text(day: date) -> str:
    """Asia/Kolkata midnight of `day`, in UTC: the previous day at 18:30Z."""
    return f"{(day - timedelta(days=1)).isoformat()}T18:30:00.000000Z"


# == contract replays ===========================================================================


@replays("login.http.json", "login.request.json", "login.response.json",
         "error.login_invalid.json", "common.headers.json")  # fmt: skip
def test_login_contract(k: Client) -> None:
    envelope = contract("login.http.json")
    assert envelope["request"]["method"] == "POST"
    url = f"{k.handle.url}{envelope['request']['path']}"
    headers = envelope["request"]["headers"]
    response = requests.post(url, json=contract("login.request.json"), headers=headers, timeout=5)
    statuses = [r["status"] for r in envelope["responses"]]
    assert response.status_code == statuses[0] == 200
    body = response.json()
    assert_like(contract("login.response.json"), body)
    assert TOKEN.match(body["token"]), body["token"]
    bad = {**contract("login.request.json"), "password": "wrong"}
    response = requests.post(url, json=bad, headers=headers, timeout=5)
    assert response.status_code == statuses[1] == 422
    assert response.json() == contract("error.login_invalid.json")


@replays("me.response.json", "logout.response.json", "error.unauthenticated.json",
         "error.internal.json")  # fmt: skip
def test_me_and_logout_contract(k: Client) -> None:
    assert_like(contract("me.response.json"), k.ok("GET", "/get"))
    assert k.ok("DELETE", "/logout") == contract("logout.response.json")
    # Production rendering (APP_DEBUG=false): the dead token is a 500 with the raw key.
    response = k.request("GET", "/get")
    assert response.status_code == 500
    assert response.json() == contract("error.internal.json")
    k.control("POST", "/config", json={"app_debug": True})
    response = k.request("GET", "/get")
    assert response.status_code == 401
    assert response.json() == contract("error.unauthenticated.json")


@replays("organization.create.request.json", "organization.create.response.json")
def test_organization_contract(k: Client) -> None:
    body = k.ok("POST", "/contacts/organizations", json=org_request())
    assert_like(contract("organization.create.response.json"), body)


@replays("person.create.request.json", "person.create.response.json", "person.get.response.json",
         "person.update.request.json", "person.update.response.json",
         "person.delete.response.json")  # fmt: skip
def test_person_crud_contract(k: Client) -> None:
    org_id = make_org(k)
    request = {**contract("person.create.request.json"), "organization_id": org_id, "user_id": 1}
    created = k.ok("POST", "/contacts/persons", json=request)
    assert_like(contract("person.create.response.json"), created)
    person_id = created["data"]["id"]
    assert_like(contract("person.get.response.json"), k.ok("GET", f"/contacts/persons/{person_id}"))
    update = {**contract("person.update.request.json"), "organization_id": org_id, "user_id": 1}
    updated = k.ok("PUT", f"/contacts/persons/{person_id}", json=update)
    assert_like(contract("person.update.response.json"), updated)
    deleted = k.ok("DELETE", f"/contacts/persons/{person_id}")
    assert deleted == contract("person.delete.response.json")


@replays("person.create.with_org_name.request.json")
def test_person_with_organization_name_contract(k: Client) -> None:
    request = {**contract("person.create.with_org_name.request.json"), "user_id": 1}
    body = k.ok("POST", "/contacts/persons", json=request)
    expected = contract("person.create.response.json")
    expected["data"]["emails"] = contract("person.create.with_org_name.request.json")["emails"]
    expected["data"]["organization"]["address"] = None
    for key in ("name", "job_title"):
        expected["data"][key] = body["data"][key]
    expected["data"]["organization"]["name"] = "Initech"
    assert_like(expected, body)
    orgs = k.ok("GET", "/contacts/organizations")["data"]
    assert [o["name"] for o in orgs] == ["Initech"]


@replays("persons.list.response.json")
def test_persons_list_contract(k: Client) -> None:
    for i in range(10):
        k.ok("POST", "/contacts/persons", json={
            "name": f"Filler {i}", "emails": [{"value": f"f{i}@x.example", "label": "work"}],
            "contact_numbers": [{"value": f"55501{i:02d}1", "label": "work"}]})  # fmt: skip
    make_jane(k)
    make_bob(k)
    body = k.ok("GET", "/contacts/persons", params={"limit": 2})
    assert_like(contract("persons.list.response.json"), body)


@replays("persons.search.http.json", "persons.search.response.json",
         "persons.search.empty.response.json")  # fmt: skip
def test_persons_search_contract(k: Client) -> None:
    make_jane(k)
    make_bob(k)
    envelope = contract("persons.search.http.json")
    path = envelope["request"]["path"].removeprefix("/api/v1")
    response = k.request("GET", path, params=envelope["request"]["query"])
    assert response.status_code == envelope["response"]["status"]
    assert_like(contract(envelope["response"]["body_file"]), response.json())
    for alternative in envelope["alternatives"]:
        found = k.ok("GET", path, params=alternative["query"])["data"]
        assert [p["name"] for p in found] == ["Jane Doe"], alternative["by"]
    empty = k.ok("GET", path, params={"search": "emails:nobody@nowhere.example",
                                      "searchFields": "emails:like"})  # fmt: skip
    assert empty == contract("persons.search.empty.response.json")


@replays("validation_error.json", "validation_error.duplicate_email.json")
def test_person_validation_contract(k: Client) -> None:
    bad = {"emails": [{"value": "not-an-email"}], "name": "",
           "contact_numbers": [{"value": "1", "label": "work"}]}  # fmt: skip
    response = k.request("POST", "/contacts/persons", json=bad)
    assert response.status_code == 422
    assert response.json() == contract("validation_error.json")
    make_jane(k)
    again = {**contract("person.create.request.json"), "organization_id": None,
             "contact_numbers": [{"value": "+15550999", "label": "work"}]}  # fmt: skip
    response = k.request("POST", "/contacts/persons", json=again)
    assert response.status_code == 422
    assert response.json() == contract("validation_error.duplicate_email.json")


@replays("lead.create.request.json", "lead.create.response.json", "lead.get.response.json",
         "lead.delete.response.json")  # fmt: skip
def test_lead_crud_contract(k: Client) -> None:
    jane = make_jane(k)
    close = future(10)
    created = k.ok("POST", "/leads", json=lead_request(jane, close))
    assert_like(contract("lead.create.response.json"), created)
    assert created["data"]["expected_close_date"] == close_date_text(close)
    lead_id = created["data"]["id"]
    shown = k.ok("GET", f"/leads/{lead_id}")
    assert_like(contract("lead.get.response.json"), shown)
    assert k.ok("DELETE", f"/leads/{lead_id}") == contract("lead.delete.response.json")
    assert k.request("GET", f"/leads/{lead_id}").status_code == 404


@replays("lead.create.new_person.request.json")
def test_lead_with_new_person_contract(k: Client) -> None:
    request = contract("lead.create.new_person.request.json")
    body = {**request, "user_id": 1, "person": {**request["person"], "user_id": 1}}
    created = k.ok("POST", "/leads", json=body)
    expected = contract("lead.create.response.json")
    del expected["data"]["person"]["organization"]
    expected["data"]["expected_close_date"] = None
    for key in ("title", "description", "lead_value"):
        expected["data"][key] = created["data"][key]
    for key in ("name", "job_title", "emails", "contact_numbers"):
        expected["data"]["person"][key] = request["person"][key]
    assert_like(expected, created)
    assert created["data"]["lead_value"] == "8000.0000"
    assert k.control("GET", "/state")["records"]["persons"] == 1


@replays("leads.list.response.json")
def test_leads_list_contract(k: Client) -> None:
    bob = make_bob(k)
    make_bob_lead(k, bob)
    make_lead(k, make_jane(k))
    assert_like(contract("leads.list.response.json"), k.ok("GET", "/leads"))


@replays("lead.stage_update.http.json", "lead.stage_update.request.json",
         "lead.stage_update.response.json", "error.not_found.json")  # fmt: skip
def test_lead_stage_update_contract(k: Client, server: SandboxHandle) -> None:
    lead = make_lead(k, make_jane(k))
    envelope = contract("lead.stage_update.http.json")
    path = envelope["request"]["path"].removeprefix("/api/v1").replace("118", str(lead["id"]))
    response = k.request(envelope["request"]["method"], path,
                         json=contract(envelope["request"]["body_file"]))  # fmt: skip
    assert response.status_code == envelope["response"]["status"]
    body = response.json()
    assert_like(contract(envelope["response"]["body_file"]), body)
    assert body["data"]["closed_at"] is not None and body["data"]["expected_close_date"] is None
    invalid, other_pipeline = envelope["errors"]
    response = k.request("PUT", path, json={"lead_pipeline_stage_id": 999})
    assert response.status_code == invalid["status"]
    assert response.json() == invalid["body"]
    # A stage of another pipeline exists (firstOrFail on the lead's pipeline misses): 404.
    add_second_pipeline(server)
    response = k.request("PUT", path, json={"lead_pipeline_stage_id": 7})
    assert response.status_code == other_pipeline["status"]
    assert response.json() == contract(other_pipeline["body_file"])


def add_second_pipeline(server: SandboxHandle) -> None:
    from sandboxes.krayin.models import Pipeline, Stage

    db = server.sandbox.db
    at = db.pipelines[1].created_at
    with server.sandbox.lock:
        db.pipelines[2] = Pipeline(2, "Partners", 0, 30, at, at)
        db.stages[7] = Stage(7, "new", "New", 2, 1, 100, at, at)


@replays("lead.attributes_update.request.json")
def test_lead_attributes_update_contract(k: Client) -> None:
    lead = make_lead(k, make_jane(k))
    close = future(40)
    body = {**contract("lead.attributes_update.request.json"), "user_id": 1,
            "expected_close_date": close.isoformat()}  # fmt: skip
    updated = k.ok("PUT", f"/leads/attributes/edit/{lead['id']}", json=body)
    expected = contract("lead.get.response.json")
    expected["data"]["lead_value"] = "17500.0000"
    assert_like({**expected, "message": "Lead updated successfully."}, updated)
    assert updated["data"]["expected_close_date"] == close_date_text(close)


@replays("validation_error.lead.json")
def test_lead_validation_contract(k: Client) -> None:
    make_jane(k)
    yesterday = date.today() - timedelta(days=1)
    body = {"lead_source_id": None, "lead_value": "12,50", "expected_close_date":
            yesterday.isoformat(), "title": "x", "lead_type_id": 1, "user_id": 1,
            "lead_pipeline_stage_id": 1,
            "person": {"name": "Jane", "emails": [{"value": "jane.doe@globex.example",
                                                    "label": "work"}]}}  # fmt: skip
    response = k.request("POST", "/leads", json=body)
    assert response.status_code == 422
    expected = contract("validation_error.lead.json")
    text = json.dumps(expected).replace("2025-03-09", yesterday.isoformat())
    assert response.json() == json.loads(text)


@replays("activity.create.request.json", "activity.create.response.json",
         "activity.update.request.json", "activity.update.response.json",
         "activity.delete.response.json", "lead.activities.response.json")  # fmt: skip
def test_activity_contract(k: Client) -> None:
    jane = make_jane(k)
    lead = make_lead(k, jane)
    request = contract("activity.create.request.json")
    body = {**request, "participants": {"users": [1], "persons": [jane]}, "lead_id": lead["id"]}
    created = k.ok("POST", "/activities", json=body)
    assert_like(contract("activity.create.response.json"), created)
    activity_id = created["data"]["id"]
    listed = k.ok("GET", f"/leads/{lead['id']}/activities")
    assert_like(contract("lead.activities.response.json"), listed)
    updated = k.ok("PUT", f"/activities/{activity_id}",
                   json=contract("activity.update.request.json"))  # fmt: skip
    assert_like(contract("activity.update.response.json"), updated)
    deleted = k.ok("DELETE", f"/activities/{activity_id}")
    assert deleted == contract("activity.delete.response.json")


@replays("activity.create.note.request.json")
def test_note_activity_contract(k: Client) -> None:
    jane = make_jane(k)
    body = {**contract("activity.create.note.request.json"), "person_id": jane, "is_done": 0}
    created = k.ok("POST", "/activities", json=body)["data"]
    assert created["is_done"] == 1 and created["type"] == "note"
    assert created["schedule_from"] is None
    listed = k.ok("GET", f"/contacts/persons/{jane}/activities")["data"]
    assert [a["id"] for a in listed] == [created["id"]]


@replays("error.meeting_overlap.json")
def test_meeting_overlap_contract(k: Client) -> None:
    jane = make_jane(k)
    meeting = {"type": "meeting", "title": "Kick-off", "schedule_from": "2030-03-12 10:00:00",
               "schedule_to": "2030-03-12 11:00:00", "participants": {"persons": [jane]}}  # fmt: skip
    k.ok("POST", "/activities", json=meeting)
    overlapping = {**meeting, "schedule_from": "2030-03-12 10:30:00",
                   "schedule_to": "2030-03-12 11:30:00"}  # fmt: skip
    xhr = {"X-Requested-With": "XMLHttpRequest"}
    response = k.request("POST", "/activities", json=overlapping, headers=xhr)
    assert response.status_code == 400
    assert response.json() == contract("error.meeting_overlap.json")
    response = k.request("POST", "/activities", json=overlapping)
    assert response.status_code == 302


@replays("pipeline.get.response.json", "pipelines.list.response.json")
def test_pipeline_contract(k: Client) -> None:
    assert_like(contract("pipelines.list.response.json"), k.ok("GET", "/settings/pipelines"))
    assert_like(contract("pipeline.get.response.json"), k.ok("GET", "/settings/pipelines/1"))


@replays("sources.list.response.json", "sources.list.unpaginated.response.json",
         "types.list.response.json")  # fmt: skip
def test_sources_and_types_contract(k: Client) -> None:
    assert_like(contract("sources.list.response.json"), k.ok("GET", "/settings/sources"))
    unpaginated = k.ok("GET", "/settings/sources", params={"pagination": 0})
    assert_like(contract("sources.list.unpaginated.response.json"), unpaginated)
    assert_like(contract("types.list.response.json"), k.ok("GET", "/settings/types"))


@replays("error.rate_limited.debug.json")
def test_rate_limit_contract(k: Client) -> None:
    k.control("POST", "/config", json={"rate_limit": 3, "app_debug": True})
    try:
        statuses = [k.request("GET", "/get").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = k.request("GET", "/get")
        assert response.json() == contract("error.rate_limited.debug.json")
        assert int(response.headers["Retry-After"]) >= 1
        k.control("POST", "/config", json={"app_debug": False})
        response = k.request("GET", "/get")
        assert response.status_code == 500
        assert response.json() == contract("error.internal.json")
    finally:
        k.control("POST", "/config", json={"rate_limit": 0, "app_debug": False})


@replays("errors.index.json", "NOTES.md", "README.md")
def test_errors_index_statuses(k: Client) -> None:
    """The leading status of every errors.index.json entry is what the sandbox answers."""
    index = contract("errors.index.json")["status_by_file"]
    jane = make_jane(k)
    lead = make_lead(k, jane)
    overlap = {"type": "meeting", "schedule_from": "2030-01-01 10:00:00",
               "schedule_to": "2030-01-01 11:00:00", "participants": {"users": [1]}}  # fmt: skip
    k.ok("POST", "/activities", json=overlap)
    k.control("POST", "/config", json={"app_debug": True})
    probes: dict[str, Callable[[], requests.Response]] = {
        "error.login_invalid.json": lambda: k.request(
            "POST", "/login", json={**LOGIN, "password": "x"}, auth=False),
        "validation_error.json": lambda: k.request("POST", "/contacts/persons",
                                                   json={"name": ""}),
        "validation_error.duplicate_email.json": lambda: k.request(
            "POST", "/contacts/persons", json=contract("person.create.request.json")),
        "validation_error.lead.json": lambda: k.request(
            "POST", "/leads", json={**lead_request(jane), "lead_source_id": None}),
        "error.unauthenticated.json": lambda: k.request(
            "GET", "/get", headers={"Authorization": "Bearer 1|nope"}),
        "error.internal.json": lambda: k.request("GET", "/contacts/persons/999"),
        "error.not_found.json": lambda: k.request("GET", f"/leads/{lead['id'] + 99}"),
        "error.meeting_overlap.json": lambda: k.request(
            "POST", "/activities", json=overlap, headers={"X-Requested-With": "XMLHttpRequest"}),
        "error.rate_limited.debug.json": lambda: rate_limited(k),  # last: it lowers the limit
    }  # fmt: skip
    assert set(probes) == set(index)
    try:
        for name, probe in probes.items():
            leading = int(re.match(r"\d+", str(index[name])).group())  # type: ignore[union-attr]
            assert probe().status_code == leading, name
    finally:
        k.control("POST", "/config", json={"rate_limit": 0, "app_debug": False})


def rate_limited(k: Client) -> requests.Response:
    k.control("POST", "/config", json={"rate_limit": 1})
    k.request("GET", "/get")
    return k.request("GET", "/get")


def test_every_contract_file_is_replayed() -> None:
    files = {p.name for p in CONTRACTS.iterdir() if p.is_file()}
    assert not files - REPLAYED, f"contract files no test replays: {sorted(files - REPLAYED)}"
