"""The Krayin sandbox behaves like krayin/rest-api: every contract file is replayed against it,
then the traps NOTES.md describes are checked one by one.

Every test talks real HTTP to an in-process sandbox, so what passes here is what the ERP's
Krayin connector will see.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandboxes.krayin.clock import DEFAULT_TIMEZONE, local_yesterday
from sandboxes.krayin.server import SandboxHandle, start_sandbox

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_BASE = "https://crm.example.com"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$")
TOKEN = re.compile(r"^\d+\|[A-Za-z0-9]{40}$")
# Leaf values that must equal the contract's, wherever they appear.
EXACT_KEYS = frozenset(
    {
        "message",
        "lead_value",
        "formatted_lead_value",
        "status",
        "is_done",
        "type",
        "code",
        "label",
        "is_default",
        "rotten_days",
        "view_permission",
        "permission_type",
        "is_user_defined",
        "current_page",
        "last_page",
        "per_page",
        "total",
        "from",
        "to",
        "active",
        "job_title",
        "location",
        "comment",
        "title",
        "description",
        "email",
        "name",
        "schedule_from",
        "schedule_to",
        "lost_reason",
        "image",
        "image_url",
        "permissions",
        "parent_id",
        "additional",
        "address",
    }
)


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
        assert re.sub(r"^http://127\.0\.0\.1:\d+", "", actual) == expected[len(CONTRACT_BASE) :]
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
            method,
            f"{self.handle.api_url}{path}",
            headers=merged,
            timeout=10,
            allow_redirects=False,
            **kw,
        )

    def ok(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        response = self.request(method, path, **kw)
        assert response.status_code == 200, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
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
    body = {
        "name": "Bob Stone",
        "emails": [{"value": "bob@stone.example", "label": "work"}],
        "contact_numbers": [{"value": "5550100", "label": "work"}],
        "job_title": None,
    }
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
    body = {
        "title": "Initech - support contract",
        "description": None,
        "lead_value": 8000,
        "lead_source_id": 4,
        "lead_type_id": 1,
        "user_id": 1,
        "lead_pipeline_stage_id": 3,
        "person_id": bob,
    }
    data: dict[str, Any] = k.ok("POST", "/leads", json=body)["data"]
    return data


def close_date_text(day: date) -> str:
    """Asia/Kolkata midnight of `day`, in UTC: the previous day at 18:30Z."""
    return f"{(day - timedelta(days=1)).isoformat()}T18:30:00.000000Z"


# == contract replays ===========================================================================


@replays(
    "login.http.json",
    "login.request.json",
    "login.response.json",
    "error.login_invalid.json",
    "common.headers.json",
)
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


@replays(
    "me.response.json", "logout.response.json", "error.unauthenticated.json", "error.internal.json"
)
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


@replays(
    "person.create.request.json",
    "person.create.response.json",
    "person.get.response.json",
    "person.update.request.json",
    "person.update.response.json",
    "person.delete.response.json",
)
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
        k.ok(
            "POST",
            "/contacts/persons",
            json={
                "name": f"Filler {i}",
                "emails": [{"value": f"f{i}@x.example", "label": "work"}],
                "contact_numbers": [{"value": f"55501{i:02d}1", "label": "work"}],
            },
        )
    make_jane(k)
    make_bob(k)
    body = k.ok("GET", "/contacts/persons", params={"limit": 2})
    assert_like(contract("persons.list.response.json"), body)


@replays(
    "persons.search.http.json", "persons.search.response.json", "persons.search.empty.response.json"
)
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
    empty = k.ok(
        "GET",
        path,
        params={"search": "emails:nobody@nowhere.example", "searchFields": "emails:like"},
    )
    assert empty == contract("persons.search.empty.response.json")


@replays("validation_error.json", "validation_error.duplicate_email.json")
def test_person_validation_contract(k: Client) -> None:
    bad = {
        "emails": [{"value": "not-an-email"}],
        "name": "",
        "contact_numbers": [{"value": "1", "label": "work"}],
    }
    response = k.request("POST", "/contacts/persons", json=bad)
    assert response.status_code == 422
    assert response.json() == contract("validation_error.json")
    make_jane(k)
    again = {
        **contract("person.create.request.json"),
        "organization_id": None,
        "contact_numbers": [{"value": "+15550999", "label": "work"}],
    }
    response = k.request("POST", "/contacts/persons", json=again)
    assert response.status_code == 422
    assert response.json() == contract("validation_error.duplicate_email.json")


@replays(
    "lead.create.request.json",
    "lead.create.response.json",
    "lead.get.response.json",
    "lead.delete.response.json",
)
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


@replays(
    "lead.stage_update.http.json",
    "lead.stage_update.request.json",
    "lead.stage_update.response.json",
    "error.not_found.json",
)
def test_lead_stage_update_contract(k: Client, server: SandboxHandle) -> None:
    lead = make_lead(k, make_jane(k))
    envelope = contract("lead.stage_update.http.json")
    path = envelope["request"]["path"].removeprefix("/api/v1").replace("118", str(lead["id"]))
    response = k.request(
        envelope["request"]["method"], path, json=contract(envelope["request"]["body_file"])
    )
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
    body = {
        **contract("lead.attributes_update.request.json"),
        "user_id": 1,
        "expected_close_date": close.isoformat(),
    }
    updated = k.ok("PUT", f"/leads/attributes/edit/{lead['id']}", json=body)
    expected = contract("lead.get.response.json")
    expected["data"]["lead_value"] = "17500.0000"
    assert_like({**expected, "message": "Lead updated successfully."}, updated)
    assert updated["data"]["expected_close_date"] == close_date_text(close)


@replays("validation_error.lead.json")
def test_lead_validation_contract(k: Client) -> None:
    make_jane(k)
    # The server's "yesterday" (APP_TIMEZONE, Asia/Kolkata by default), not the machine's:
    # between 18:30 and 24:00 UTC the two dates differ.
    yesterday = local_yesterday(ZoneInfo(DEFAULT_TIMEZONE))
    body = {
        "lead_source_id": None,
        "lead_value": "12,50",
        "expected_close_date": yesterday.isoformat(),
        "title": "x",
        "lead_type_id": 1,
        "user_id": 1,
        "lead_pipeline_stage_id": 1,
        "person": {
            "name": "Jane",
            "emails": [{"value": "jane.doe@globex.example", "label": "work"}],
        },
    }
    response = k.request("POST", "/leads", json=body)
    assert response.status_code == 422
    expected = contract("validation_error.lead.json")
    text = json.dumps(expected).replace("2025-03-09", yesterday.isoformat())
    assert response.json() == json.loads(text)


@replays(
    "activity.create.request.json",
    "activity.create.response.json",
    "activity.update.request.json",
    "activity.update.response.json",
    "activity.delete.response.json",
    "lead.activities.response.json",
)
def test_activity_contract(k: Client) -> None:
    jane = make_jane(k)
    lead = make_lead(k, jane)
    request = contract("activity.create.request.json")
    body = {**request, "participants": {"users": [1], "persons": [jane]}, "lead_id": lead["id"]}
    created = k.ok("POST", "/activities", json=body)
    assert_like(contract("activity.create.response.json"), created)
    activity_id = created["data"]["id"]
    listed = k.ok("GET", f"/leads/{lead['id']}/activities")
    # Krayin mixes its `system` audit entries in; clients filter them out (NOTES 4.3).
    listed["data"] = [a for a in listed["data"] if a["type"] != "system"]
    assert_like(contract("lead.activities.response.json"), listed)
    updated = k.ok(
        "PUT", f"/activities/{activity_id}", json=contract("activity.update.request.json")
    )
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
    assert [a["id"] for a in listed if a["type"] != "system"] == [created["id"]]


@replays("error.meeting_overlap.json")
def test_meeting_overlap_contract(k: Client) -> None:
    jane = make_jane(k)
    meeting = {
        "type": "meeting",
        "title": "Kick-off",
        "schedule_from": "2030-03-12 10:00:00",
        "schedule_to": "2030-03-12 11:00:00",
        "participants": {"persons": [jane]},
    }
    k.ok("POST", "/activities", json=meeting)
    overlapping = {
        **meeting,
        "schedule_from": "2030-03-12 10:30:00",
        "schedule_to": "2030-03-12 11:30:00",
    }
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


@replays(
    "sources.list.response.json",
    "sources.list.unpaginated.response.json",
    "types.list.response.json",
)
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


def test_person_deletes_have_an_hourly_limit(k: Client, server: SandboxHandle) -> None:
    k.control("POST", "/config", json={"rate_limit": 60})
    server.sandbox.person_delete_throttle.configure(2)  # 100 per hour in Krayin
    ids = [k.ok("POST", "/contacts/persons", json=person_body(n))["data"]["id"] for n in (1, 2, 3)]
    statuses = [k.request("DELETE", f"/contacts/persons/{i}").status_code for i in ids]
    assert statuses == [200, 200, 500]  # a 429 rendered by the production handler
    assert k.request("GET", "/get").status_code == 200
    k.control("POST", "/reset")
    assert server.sandbox.person_delete_throttle.per_minute == 0


@replays("errors.index.json", "NOTES.md", "README.md")
def test_errors_index_statuses(k: Client) -> None:
    """The leading status of every errors.index.json entry is what the sandbox answers."""
    index = contract("errors.index.json")["status_by_file"]
    jane = make_jane(k)
    lead = make_lead(k, jane)
    overlap = {
        "type": "meeting",
        "schedule_from": "2030-01-01 10:00:00",
        "schedule_to": "2030-01-01 11:00:00",
        "participants": {"users": [1]},
    }
    k.ok("POST", "/activities", json=overlap)
    k.control("POST", "/config", json={"app_debug": True})
    probes: dict[str, Callable[[], requests.Response]] = {
        "error.login_invalid.json": lambda: k.request(
            "POST", "/login", json={**LOGIN, "password": "x"}, auth=False
        ),
        "validation_error.json": lambda: k.request("POST", "/contacts/persons", json={"name": ""}),
        "validation_error.duplicate_email.json": lambda: k.request(
            "POST", "/contacts/persons", json=contract("person.create.request.json")
        ),
        "validation_error.lead.json": lambda: k.request(
            "POST", "/leads", json={**lead_request(jane), "lead_source_id": None}
        ),
        "error.unauthenticated.json": lambda: k.request(
            "GET", "/get", headers={"Authorization": "Bearer 1|nope"}
        ),
        "error.internal.json": lambda: k.request("GET", "/contacts/persons/999"),
        "error.not_found.json": lambda: k.request("GET", f"/leads/{lead['id'] + 99}"),
        "error.meeting_overlap.json": lambda: k.request(
            "POST", "/activities", json=overlap, headers={"X-Requested-With": "XMLHttpRequest"}
        ),
        "error.rate_limited.debug.json": lambda: rate_limited(k),  # last: it lowers the limit
    }
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


# == behaviour: the traps NOTES.md describes ===================================================


def person_body(n: int = 1, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"Person {n}",
        "emails": [{"value": f"p{n}@x.example", "label": "work"}],
        "contact_numbers": [{"value": f"555{n:04d}", "label": "work"}],
        "user_id": 1,
    }
    return {**body, **overrides}


def test_each_login_revokes_the_users_older_tokens(k: Client) -> None:
    first = k.token
    k.login()
    second = k.token
    assert first != second
    state = k.control("GET", "/state")
    assert state["login_count"] == 2 and state["active_tokens"] == 1
    k.control("POST", "/config", json={"app_debug": True})
    old = k.request("GET", "/get", headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    assert old.json() == {"message": "admin::app.common.unauthenticated"}
    assert k.request("GET", "/get").status_code == 200
    # Another user's login does not touch this user's token.
    sales = {"email": "sales@example.com", "password": "sales-secret", "device_name": "x"}
    assert k.request("POST", "/login", json=sales, auth=False).status_code == 200
    assert k.request("GET", "/get").status_code == 200
    assert k.control("GET", "/state")["active_tokens"] == 2


def test_missing_or_malformed_token(k: Client) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic abc"},
    ):
        response = k.request("GET", "/leads", headers=headers)
        assert response.status_code == 500
        assert response.json() == {"message": "admin::app.common.internal-server-error"}


def test_without_accept_json_errors_become_redirects_and_html(k: Client) -> None:
    plain = {"Accept": "*/*"}
    # Success still answers JSON...
    ok = k.request("GET", "/get", headers=plain)
    assert ok.status_code == 200 and ok.json()["data"]["id"] == 1
    # ...but a validation failure is a 302 back, and an auth failure a 500 HTML page.
    invalid = k.request(
        "POST",
        "/contacts/persons",
        json={"name": ""},
        headers={**plain, "Referer": "http://erp.local/form"},
    )
    assert invalid.status_code == 302
    assert invalid.headers["Location"] == "http://erp.local/form"
    unauth = k.request("GET", "/leads", headers={**plain, "Authorization": "Bearer 1|x"})
    assert unauth.status_code == 500 and unauth.headers["Content-Type"].startswith("text/html")
    missing = k.request("GET", "/leads/12345", headers=plain)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    log = k.control("GET", "/requests")["requests"]
    assert [e["accept_json"] for e in log[-4:]] == [False, False, False, False]
    assert all(e["accept_json"] for e in log[:-4])


def test_missing_contact_numbers_is_a_500(k: Client) -> None:
    no_numbers = person_body()
    del no_numbers["contact_numbers"]
    for body in (
        no_numbers,
        person_body(contact_numbers=[]),
        person_body(contact_numbers=[{"value": None, "label": "work"}]),
    ):
        response = k.request("POST", "/contacts/persons", json=body)
        assert response.status_code == 500, body
        assert response.json() == {"message": "admin::app.common.internal-server-error"}
    person_id = k.ok("POST", "/contacts/persons", json=person_body())["data"]["id"]
    response = k.request("PUT", f"/contacts/persons/{person_id}", json=no_numbers)
    assert response.status_code == 500
    # Validation runs first: an invalid body with no numbers is still a 422.
    assert k.request("POST", "/contacts/persons", json={"name": ""}).status_code == 422
    log = k.control("GET", "/requests")["requests"]
    creates = [e for e in log if e["method"] == "POST" and e["path"].endswith("/persons")]
    assert [("contact_numbers" in e["body_keys"]) for e in creates] == [
        False,
        True,
        True,
        True,
        False,
    ]


def test_person_update_without_user_id_clears_the_sales_owner(k: Client) -> None:
    person_id = k.ok("POST", "/contacts/persons", json=person_body())["data"]["id"]
    partial = person_body()
    del partial["user_id"]
    updated = k.ok("PUT", f"/contacts/persons/{person_id}", json=partial)["data"]
    assert "sales_owner" not in updated
    # Updating a person with its own e-mail is not a duplicate.
    again = k.ok("PUT", f"/contacts/persons/{person_id}", json=person_body())["data"]
    assert again["sales_owner"]["id"] == 1


def test_unknown_person_is_a_500_but_unknown_lead_a_404(k: Client) -> None:
    assert k.request("GET", "/contacts/persons/4242").status_code == 500
    assert k.request("DELETE", "/contacts/persons/4242").status_code == 404
    assert k.request("GET", "/leads/4242").status_code == 404
    k.control("POST", "/config", json={"app_debug": True})
    debug = k.request("GET", "/leads/4242").json()
    assert debug["message"] == "No query results for model [Webkul\\Lead\\Models\\Lead] 4242"
    assert {"exception", "file", "line", "trace"} <= set(debug)


def test_duplicate_email_is_a_422_with_dot_paths(k: Client) -> None:
    k.ok("POST", "/contacts/persons", json=person_body(1))
    dup = person_body(
        2,
        emails=[
            {"value": "other@x.example", "label": "home"},
            {"value": "P1@X.EXAMPLE", "label": "work"},
        ],
    )
    response = k.request("POST", "/contacts/persons", json=dup)
    assert response.status_code == 422
    assert response.json()["errors"] == {"emails.1.value": ["The value has already been taken."]}
    # Through a lead's new person the path is person.emails.N.value.
    lead = {**lead_request(0), "person": person_body(3, emails=dup["emails"])}
    response = k.request("POST", "/leads", json=lead)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["person.emails.1.value"]


def test_lead_stage_key_must_be_present(k: Client) -> None:
    jane = make_jane(k)
    body = lead_request(jane)
    del body["lead_pipeline_stage_id"]
    assert k.request("POST", "/leads", json=body).status_code == 500
    assert k.control("GET", "/state")["records"]["leads"] == 0
    response = k.request("POST", "/leads", json={**body, "lead_pipeline_stage_id": None})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "lead_pipeline_stage_id": ["The lead pipeline stage id field is required."]
    }
    lead = make_lead(k, jane)
    assert k.request("PUT", f"/leads/{lead['id']}", json=body).status_code == 500
    # The pipeline follows the stage; lead_pipeline_id in the body is ignored.
    moved = k.ok(
        "PUT",
        f"/leads/{lead['id']}",
        json={**body, "lead_pipeline_stage_id": 2, "lead_pipeline_id": 1},
    )
    assert moved["data"]["lead_pipeline_stage_id"] == 2
    # PUT without expected_close_date nulls it.
    del body["expected_close_date"]
    cleared = k.ok("PUT", f"/leads/{lead['id']}", json={**body, "lead_pipeline_stage_id": 2})
    assert cleared["data"]["expected_close_date"] is None


def test_lead_without_sales_owner_is_stored_then_fails(k: Client) -> None:
    body = lead_request(make_jane(k))
    del body["user_id"]
    assert k.request("POST", "/leads", json=body).status_code == 500
    assert k.control("GET", "/state")["records"]["leads"] == 1
    assert k.request("GET", "/leads").status_code == 500


def test_unknown_linked_person_is_a_404(k: Client) -> None:
    response = k.request("POST", "/leads", json=lead_request(9999))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (8000, "8000.0000"),
        ("15000.00", "15000.0000"),
        ("12.5", "12.5000"),
        (0.25, "0.2500"),
        ("1.2345", "1.2345"),
    ],
)
def test_lead_value_is_a_four_decimal_string(k: Client, sent: Any, stored: str) -> None:
    lead = make_lead(k, make_jane(k), lead_value=sent)
    assert lead["lead_value"] == stored


@pytest.mark.parametrize("sent", ["1.23456", "-5", "1,000", "abc", True])
def test_lead_value_must_be_a_decimal(k: Client, sent: Any) -> None:
    response = k.request("POST", "/leads", json={**lead_request(make_jane(k)), "lead_value": sent})
    assert response.status_code == 422
    assert response.json()["errors"] == {"lead_value": ["The field must be a decimal number."]}


def test_expected_close_date_rules_and_timezone(k: Client) -> None:
    jane = make_jane(k)
    today = date.today()
    for bad in (today - timedelta(days=1),):
        response = k.request("POST", "/leads", json=lead_request(jane, bad))
        assert response.status_code == 422
    for wrong in (None, "30/04/2030", "2030-4-30"):
        body = {**lead_request(jane), "expected_close_date": wrong}
        response = k.request("POST", "/leads", json=body)
        assert response.json()["errors"]["expected_close_date"] == [
            "The expected close date does not match the format Y-m-d."
        ]
    lead = make_lead(k, jane, expected_close_date=future(5).isoformat())
    assert lead["expected_close_date"] == close_date_text(future(5))


def test_activity_times_are_read_in_app_timezone(k: Client) -> None:
    body = {
        "type": "call",
        "schedule_from": "2030-03-12 10:00:00",
        "schedule_to": "2030-03-12 10:30:00",
        "is_done": 1,
    }
    created = k.ok("POST", "/activities", json=body)["data"]
    assert created["schedule_from"] == "2030-03-12T04:30:00.000000Z"
    assert created["is_done"] == 0
    response = k.request("POST", "/activities", json={"type": "call"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"schedule_from", "schedule_to"}
    response = k.request("POST", "/activities", json={"type": "note"})
    assert response.json()["errors"] == {
        "comment": ["The comment field is required when type is note."]
    }


def test_pagination(k: Client) -> None:
    jane = make_jane(k)
    for _ in range(25):
        make_lead(k, jane)
    page = k.ok("GET", "/leads", params={"limit": 10, "page": 3})
    assert page["meta"]["current_page"] == 3 and page["meta"]["last_page"] == 3
    assert page["meta"]["total"] == 25 and page["meta"]["from"] == 21 and page["meta"]["to"] == 25
    assert len(page["data"]) == 5 and page["links"]["next"] is None
    # The links keep only ?page=: limit and filters are dropped.
    assert page["links"]["prev"].endswith("/api/v1/leads?page=2")
    default = k.ok("GET", "/leads")
    assert default["meta"]["per_page"] == 10 and default["data"][0]["id"] == 25
    beyond = k.ok("GET", "/leads", params={"page": 9})
    assert beyond["data"] == [] and beyond["meta"]["from"] is None
    assert len(k.ok("GET", "/leads", params={"pagination": 0})["data"]) == 25
    many = k.ok("GET", "/leads", params={"limit": 1, "page": 12})["meta"]["links"]
    assert [link["label"] for link in many][1:-1] == [
        "1",
        "2",
        "...",
        "9",
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "...",
        "24",
        "25",
    ]


def test_index_filters_and_sort_for_polling(k: Client, server: SandboxHandle) -> None:
    jane = make_jane(k)
    bob = make_bob(k)
    first = make_lead(k, jane)
    second = make_bob_lead(k, bob)
    assert [x["id"] for x in k.ok("GET", "/leads", params={"person_id": bob})["data"]] == [
        second["id"]
    ]
    both = k.ok("GET", "/leads", params={"lead_pipeline_stage_id": "1,3"})["data"]
    assert len(both) == 2
    assert k.request("GET", "/leads", params={"no_such_column": 1}).status_code == 500
    # updated_at has one-second precision (MySQL TIMESTAMP): age both rows so the change
    # below lands in a later second than their creation.
    with server.sandbox.lock:
        for lead in server.sandbox.db.leads.values():
            lead.updated_at = lead.updated_at - timedelta(seconds=5)
    k.ok("PUT", f"/leads/stage/edit/{first['id']}", json={"lead_pipeline_stage_id": 2})
    changed = k.ok("GET", "/leads", params={"sort": "updated_at", "order": "desc"})["data"]
    assert changed[0]["id"] == first["id"]
    ascending = k.ok("GET", "/leads", params={"sort": "updated_at", "order": "asc"})["data"]
    assert ascending[-1]["id"] == first["id"]


def test_leads_search(k: Client) -> None:
    jane = make_jane(k)
    lead = make_lead(k, jane)
    found = k.ok(
        "GET",
        "/leads/search",
        params={"search": f"person_id:{jane}", "searchFields": "person_id:="},
    )
    assert [x["id"] for x in found["data"]] == [lead["id"]]
    bad = k.request(
        "GET", "/contacts/persons/search", params={"search": "x:1", "searchFields": "x:like"}
    )
    assert bad.status_code == 500
    # JSON columns never match with "=".
    exact = k.ok(
        "GET", "/contacts/persons/search", params={"search": "emails:jane.doe@globex.example"}
    )
    assert exact["data"] == []


def test_stage_moves(k: Client, server: SandboxHandle) -> None:
    lead = make_lead(k, make_jane(k))
    won = k.ok("PUT", f"/leads/stage/edit/{lead['id']}", json={"lead_pipeline_stage_id": 5})
    assert won["data"]["closed_at"] is not None
    reopened = k.ok("PUT", f"/leads/stage/edit/{lead['id']}", json={"lead_pipeline_stage_id": 2})
    assert reopened["data"]["closed_at"] is None
    by_hand = k.control(
        "POST", f"/leads/{lead['id']}/stage", json={"stage": "lost", "lost_reason": "Price"}
    )
    assert by_hand["data"]["lead_pipeline_stage_id"] == 6
    shown = k.ok("GET", f"/leads/{lead['id']}")["data"]
    assert shown["lost_reason"] == "Price" and shown["closed_at"] is not None
    assert k.request("PUT", f"/leads/stage/edit/{lead['id']}", json={}).status_code == 422


def test_system_audit_activities(k: Client) -> None:
    lead = make_lead(k, make_jane(k))
    k.ok("PUT", f"/leads/stage/edit/{lead['id']}", json={"lead_pipeline_stage_id": 5})
    listed = k.ok("GET", f"/leads/{lead['id']}/activities")["data"]
    system = [a for a in listed if a["type"] == "system"]
    titles = sorted(a["title"] for a in system)
    assert titles == [
        "Created",
        "Updated closed_at",
        "Updated expected_close_date",
        "Updated lead_pipeline_stage_id",
    ]
    stage = next(a for a in system if a["title"] == "Updated lead_pipeline_stage_id")
    assert stage["additional"] == {
        "attribute": "lead_pipeline_stage_id",
        "new": {"value": 5, "label": 5},
        "old": {"value": 1, "label": 1},
    }
    assert all(a["is_done"] == 1 and a["user"]["id"] == 1 for a in system)
    everything = k.ok("GET", "/activities", params={"type": "system"})
    assert everything["meta"]["total"] == 5  # and Jane's own "Created"
    k.ok("DELETE", f"/leads/{lead['id']}")
    assert k.ok("GET", "/activities", params={"type": "system"})["meta"]["total"] == 1


# -- webhooks ----------------------------------------------------------------------------------


class Receiver:
    """A local HTTP endpoint that records what Krayin's workflow webhook sends."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self._server = make_server("127.0.0.1", 0, self._app)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/krayin"

    def _app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.calls.append((dict(request.headers), request.get_data()))
        return Response("ok")(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def test_workflow_webhook_push_on_stage_move(k: Client, receiver: Receiver) -> None:
    k.control(
        "POST",
        "/webhooks",
        json={
            "url": receiver.url,
            "headers": {"X-KGC-Secret": "s3cr3t"},
            "events": ["lead.update.after"],
        },
    )
    lead = make_lead(k, make_jane(k))
    assert k.control("POST", "/webhooks/wait", json={"timeout": 5})["deliveries"] == []
    k.control("POST", f"/leads/{lead['id']}/stage", json={"stage": "won"})
    waited = k.control("POST", "/webhooks/wait", json={"timeout": 5})
    assert waited["idle"] and [d["status"] for d in waited["deliveries"]] == [200]
    headers, body = receiver.calls[0]
    assert headers["X-Kgc-Secret"] == "s3cr3t"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "title": "Globex - 50 laptop refresh",
        "lead_value": "$15,000.00",
        "stage": "Won",
        "pipeline": "Default Pipeline",
        "sales_owner": "API Bot",
        "expected_close_date": "N/A",
    }


def test_webhook_template_conditions_and_unknown_placeholders(
    k: Client, receiver: Receiver
) -> None:
    k.control(
        "POST",
        "/webhooks",
        json={
            "url": receiver.url,
            "events": ["lead.create.after", "lead.update.after"],
            "payload": [
                {"key": "lead", "value": "{%leads.id%}"},
                {"key": "title", "value": "{% leads.title %}"},
            ],
            "conditions": [{"attribute": "lead_pipeline_stage_id", "operator": "==", "value": 5}],
        },
    )
    lead = make_lead(k, make_jane(k))
    k.ok("PUT", f"/leads/stage/edit/{lead['id']}", json={"lead_pipeline_stage_id": 2})
    k.ok("PUT", f"/leads/stage/edit/{lead['id']}", json={"lead_pipeline_stage_id": 5})
    k.control("POST", "/webhooks/wait", json={"timeout": 5})
    assert len(receiver.calls) == 1
    # `id` is not a lead attribute, so Krayin leaves its placeholder as it is.
    assert json.loads(receiver.calls[0][1]) == {
        "lead": "{%leads.id%}",
        "title": "Globex - 50 laptop refresh",
    }


def test_webhook_delivery_failure_is_logged_not_retried(k: Client) -> None:
    k.control(
        "POST",
        "/webhooks",
        json={"url": "http://127.0.0.1:9/nowhere", "events": ["lead.create.after"]},
    )
    make_lead(k, make_jane(k))
    deliveries = k.control("POST", "/webhooks/wait", json={"timeout": 10})["deliveries"]
    assert len(deliveries) == 1 and deliveries[0]["error"] and deliveries[0]["status"] is None


# -- faults ------------------------------------------------------------------------------------


def test_fault_500_then_recovery(k: Client) -> None:
    k.control("POST", "/faults", json={"mode": "500", "count": 2})
    statuses = [k.request("GET", "/get").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert k.control("GET", "/faults")["injected"] == 2


def test_fault_after_applies_the_request_and_loses_the_answer(k: Client) -> None:
    jane = make_jane(k)
    k.control("POST", "/faults", json={"mode": "500", "count": 1, "after": True})
    assert k.request("POST", "/leads", json=lead_request(jane)).status_code == 500
    assert k.control("GET", "/state")["records"]["leads"] == 1


@pytest.mark.parametrize(
    ("mode", "status", "content_type"),
    [
        ("429", 429, "application/json"),
        ("html", 502, "text/html"),
        ("timeout", 504, "text/html"),
        ("slow", 200, "application/json"),
    ],
)
def test_fault_modes(k: Client, mode: str, status: int, content_type: str) -> None:
    k.control("POST", "/faults", json={"mode": mode, "delay": 0.3, "path": "/api/v1/get"})
    started = time.monotonic()
    response = k.request("GET", "/get")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    if mode in ("slow", "timeout"):
        assert time.monotonic() - started >= 0.3
    if mode == "429":
        assert response.headers["Retry-After"] == "1"
    assert k.request("GET", "/settings/types").status_code == 200  # other paths unaffected
    k.control("DELETE", "/faults")


def test_bad_fault_config_is_refused(k: Client) -> None:
    response = requests.post(f"{k.handle.url}/_sandbox/faults", json={"mode": "boom"}, timeout=5)
    assert response.status_code == 400


# -- control endpoints and CLI -----------------------------------------------------------------


def test_state_reset_and_request_log(k: Client) -> None:
    make_lead(k, make_jane(k))
    state = k.control("GET", "/state")
    assert state["records"]["leads"] == 1 and state["records"]["stages"] == 6
    log = k.control("GET", "/requests")["requests"]
    lead_post = next(e for e in log if e["path"] == "/api/v1/leads")
    assert "lead_pipeline_stage_id" in lead_post["body_keys"] and lead_post["status"] == 200
    assert lead_post["authorization"] and lead_post["user_id"] == 1
    k.control("DELETE", "/requests")
    assert k.control("GET", "/requests")["requests"] == []
    k.control("POST", "/reset")
    state = k.control("GET", "/state")
    assert state["records"]["leads"] == 0 and state["active_tokens"] == 0
    assert requests.get(f"{k.handle.url}/healthz", timeout=5).json() == {"status": "ok"}


def test_cli_serves_on_the_given_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandboxes.krayin",
            "--port",
            str(port),
            "--email",
            "cli@example.com",
            "--password",
            "pw",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the CLI sandbox did not start"
                time.sleep(0.2)
        login = {"email": "cli@example.com", "password": "pw", "device_name": "cli"}
        response = requests.post(
            f"http://127.0.0.1:{port}/api/v1/login",
            json=login,
            headers={"Accept": "application/json"},
            timeout=5,
        )
        assert response.status_code == 200 and TOKEN.match(response.json()["token"])
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_only_loopback_binds() -> None:
    with pytest.raises(ValueError):
        start_sandbox(host="0.0.0.0")
