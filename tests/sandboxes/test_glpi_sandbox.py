"""The GLPI sandbox over real HTTP: every contract sample in shared/contracts/glpi replayed
(exact where the contract is exact: statuses, error arrays, headers, messages; shapes where
ids and dates differ), plus sessions, paging, date_mod, control endpoints and faults.

The samples are vendored in sandboxes/glpi/contract/; a test checks they still equal the
shared folder, and another fails when a sample appears that no test here replays.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandboxes.glpi.server import SandboxHandle, start_sandbox

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = REPO_ROOT / "sandboxes" / "glpi" / "contract"
SHARED_CONTRACT = REPO_ROOT.parent / "shared" / "contracts" / "glpi"
CONTRACT_BASE = "https://glpi.example.com/apirest.php"
DOCS = {"NOTES.md", "README.md"}


def sample(name: str) -> Any:
    return json.loads((CONTRACT / name).read_text())


COMMON_HEADERS: dict[str, str] = {
    k: v for k, v in sample("common.headers.json").items() if not k.startswith("_")
}
APP_TOKEN = COMMON_HEADERS["App-Token"]
USER_TOKEN = sample("initSession.http.json")["request_variants"][0]["headers"][
    "Authorization"
].split(" ", 1)[1]

# Every contract file a test below replays; test_every_contract_file_is_replayed checks it.
REPLAYED: set[str] = set()


def replays(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def mark(test: Callable[..., None]) -> Callable[..., None]:
        REPLAYED.update(names)
        return test

    return mark


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    """Overrides the suite-wide Django cache fixture: these tests need no Django."""


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with start_sandbox(app_token=APP_TOKEN, user_token=USER_TOKEN) as handle:
        yield handle


@pytest.fixture
def glpi(server: SandboxHandle) -> SandboxHandle:
    server.reset()
    return server


class Api:
    """A GLPI API client the way the contract describes it: common headers on every call."""

    def __init__(self, handle: SandboxHandle, token: str | None = None) -> None:
        self.handle = handle
        self.url = handle.url
        self.token = token

    def headers(self, extra: dict[str, str | None] | None = None) -> dict[str, str]:
        """The common headers; `extra` overrides them, a None value removes one."""
        headers: dict[str, str | None] = dict(COMMON_HEADERS)
        if self.token is None:
            headers.pop("Session-Token")
        else:
            headers["Session-Token"] = self.token
        headers.update(extra or {})
        return {k: v for k, v in headers.items() if v is not None}

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        data: str | None = None,
        headers: dict[str, str | None] | None = None,
        timeout: float = 10,
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/{path.lstrip('/')}",
            params=params,
            data=json.dumps(json_body) if json_body is not None else data,
            headers=self.headers(headers),
            timeout=timeout,
        )

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.call("POST", path, json_body=body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.call("PUT", path, json_body=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, **kw)


def init_session(handle: SandboxHandle) -> str:
    response = requests.get(f"{handle.url}/initSession", headers=handle.headers, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["session_token"])


@pytest.fixture
def api(glpi: SandboxHandle) -> Api:
    return Api(glpi, init_session(glpi))


def localize(value: Any, handle: SandboxHandle) -> Any:
    """A contract body with its API base replaced by the sandbox's."""
    return json.loads(json.dumps(value).replace(CONTRACT_BASE, handle.url))


def assert_same_shape(actual: Any, expected: Any, where: str = "$") -> None:
    """Same keys in the same order, same JSON types; values may differ (ids, dates)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert list(actual) == list(expected), f"{where}: keys differ"
        for key, value in expected.items():
            if key == "links":
                assert [x["rel"] for x in actual[key]] == [x["rel"] for x in value], where
                continue
            assert_same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert actual, f"{where}: empty list"
        for position, item in enumerate(actual):
            assert_same_shape(item, expected[min(position, len(expected) - 1)], where)
    elif expected is None:
        assert actual is None, f"{where}: expected null, got {actual!r}"
    else:
        assert type(actual) is type(expected), f"{where}: {actual!r} vs {expected!r}"


def create_user(api: Api) -> int:
    response = api.post("User/", sample("User.create.request.json"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def ticket_input(requester: int | None = None) -> dict[str, Any]:
    body = sample("Ticket.create.request.json")["input"]
    if requester is not None:
        body["_users_id_requester"] = requester
    return dict(body)


def create_ticket(api: Api, **fields: Any) -> int:
    body = {"name": "Printer", "content": "It is broken", **fields}
    response = api.post("Ticket/", {"input": body})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def make_tickets(api: Api, count: int, name: str = "VPN ticket") -> list[int]:
    items = [{"name": f"{name} {i}", "content": "x"} for i in range(count)]
    response = api.post("Ticket/", {"input": items})
    assert response.status_code == 201, response.text
    return [int(r["id"]) for r in response.json()]


# -- the contract copy -----------------------------------------------------------------------


def _contract_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


@pytest.mark.skipif(not SHARED_CONTRACT.exists(), reason="shared contract folder not mounted")
def test_vendored_contract_matches_the_shared_one() -> None:
    assert _contract_files(CONTRACT) == _contract_files(SHARED_CONTRACT)
    for name in _contract_files(SHARED_CONTRACT):
        assert (CONTRACT / name).read_text() == (SHARED_CONTRACT / name).read_text(), name


def test_every_contract_file_is_replayed() -> None:
    """A new sample in the contract (hl_v2/ excepted: GLPI 11's API is not simulated) must
    get a replay test here."""
    folders = [CONTRACT] + ([SHARED_CONTRACT] if SHARED_CONTRACT.exists() else [])
    for folder in folders:
        unreplayed = _contract_files(folder) - DOCS - REPLAYED - set(ERROR_PROVOKERS)
        assert not unreplayed, f"contract files no test replays: {sorted(unreplayed)}"
    assert set(ERROR_PROVOKERS) == {p.name for p in CONTRACT.glob("error.*.json")}


# -- sessions --------------------------------------------------------------------------------


@replays("initSession.http.json", "initSession.response.json", "common.headers.json")
def test_init_session_variants(glpi: SandboxHandle) -> None:
    envelope = sample("initSession.http.json")
    expected = sample("initSession.response.json")
    token_form, basic_form, query_form = envelope["request_variants"]
    url = glpi.base_url
    response = requests.get(url + token_form["path"], headers=token_form["headers"], timeout=5)
    assert response.status_code == envelope["response"]["status"]
    assert response.headers["Content-Type"] == envelope["response"]["headers"]["Content-Type"]
    assert_same_shape(response.json(), expected)
    assert len(response.json()["session_token"]) == len(expected["session_token"])

    # Basic auth is off by default (enable_api_login_credentials=0)...
    response = requests.get(url + basic_form["path"], headers=basic_form["headers"], timeout=5)
    assert (response.status_code, response.json()) == (
        400,
        sample("error.login_credentials_disabled.json"),
    )
    # ... and works once enabled (Basic Z2xwaTpnbHBp = glpi:glpi, GLPI's default account).
    glpi.configure(credentials_login_enabled=True)
    response = requests.get(url + basic_form["path"], headers=basic_form["headers"], timeout=5)
    assert response.status_code == 200
    assert_same_shape(response.json(), expected)

    response = requests.get(url + query_form["path"], params=query_form["query"], timeout=5)
    assert response.status_code == 200
    assert_same_shape(response.json(), expected)
    state = glpi.state()
    assert state["init_session_calls"] == 3
    assert {s["login"] for s in state["sessions"]} == {"kgc-erp", "glpi"}


def test_full_session_on_init(glpi: SandboxHandle) -> None:
    response = requests.get(
        f"{glpi.url}/initSession",
        params={"get_full_session": "true"},
        headers=glpi.headers,
        timeout=5,
    )
    session = response.json()["session"]
    assert session["glpiID"] == 31
    assert session["glpiactive_entity"] == 0
    assert session["glpilist_limit"] == 15


@replays("killSession.http.json", "killSession.response.json")
def test_kill_session(api: Api) -> None:
    envelope = sample("killSession.http.json")
    headers = dict(envelope["request"]["headers"], **{"Session-Token": api.token})
    response = requests.get(
        api.handle.base_url + envelope["request"]["path"], headers=headers, timeout=5
    )
    assert response.status_code == envelope["response"]["status"]
    assert response.json() is sample("killSession.response.json")
    response = api.get("Ticket/")
    assert (response.status_code, response.json()) == (401, sample("error.session_invalid.json"))


@replays(
    "changeActiveEntities.request.json",
    "changeActiveEntities.response.json",
    "getActiveEntities.response.json",
)
def test_change_and_get_active_entities(api: Api) -> None:
    response = api.post("changeActiveEntities", sample("changeActiveEntities.request.json"))
    assert response.status_code == 200
    assert response.json() == sample("changeActiveEntities.response.json")
    response = api.get("getActiveEntities")
    assert response.status_code == 200
    assert response.json() == sample("getActiveEntities.response.json")
    # A create without entities_id lands in the active entity.
    ticket = create_ticket(api)
    assert api.get(f"Ticket/{ticket}").json()["entities_id"] == 3
    # An entity the user does not have: GLPI's Session::changeActiveEntities() says false.
    assert api.post("changeActiveEntities", {"entities_id": 999}).json() is False


def test_profiles_and_entities_listing(api: Api) -> None:
    profile = api.get("getActiveProfile").json()["active_profile"]
    assert (profile["id"], profile["name"]) == (4, "Super-Admin")
    assert api.get("getMyProfiles").json()["myprofiles"][0]["id"] == 4
    assert api.post("changeActiveProfile", {"profiles_id": 4}).json() is True
    response = api.post("changeActiveProfile", {"profiles_id": 1})
    assert (response.status_code, response.json()) == (404, sample("error.item_not_found.json"))
    entities = api.get("getMyEntities", params={"is_recursive": "true"}).json()["myentities"]
    assert {e["id"] for e in entities} == {0, 3, 5, 7, 8, 9}
    assert api.get("getFullSession").json()["session"]["glpiname"] == "kgc-erp"
    assert api.get("getGlpiConfig").json()["cfg_glpi"]["url_base_api"] == api.url


def test_session_expires_after_idle_time_and_activity_keeps_it(api: Api) -> None:
    glpi = api.handle
    glpi.advance_clock(1000)
    assert api.get("getActiveProfile").status_code == 200  # refreshes the idle timer
    glpi.advance_clock(1000)
    assert api.get("getActiveProfile").status_code == 200
    glpi.advance_clock(1441)
    response = api.get("getActiveProfile")
    assert (response.status_code, response.json()) == (401, sample("error.session_invalid.json"))
    # Gone for good, and a new initSession works.
    assert api.get("getActiveProfile").status_code == 401
    api.token = init_session(glpi)
    assert api.get("getActiveProfile").status_code == 200
    assert glpi.state()["expired_sessions"] == 1


def test_session_idle_seconds_in_real_time() -> None:
    with start_sandbox(user_token="t", session_idle_seconds=0.3) as glpi:
        api = Api(glpi, init_session(glpi))
        no_app_token = {"App-Token": None}
        assert api.get("getActiveProfile", headers=no_app_token).status_code == 200
        time.sleep(0.5)
        response = api.get("getActiveProfile", headers=no_app_token)
        assert response.json()[0] == "ERROR_SESSION_TOKEN_INVALID"


def test_expire_all_sessions_control(api: Api) -> None:
    assert api.handle.expire_sessions() == 1
    assert api.get("Ticket/").status_code == 401


def test_app_token_checked_on_every_call(api: Api) -> None:
    response = api.get("Ticket/", headers={"App-Token": None})
    assert (response.status_code, response.json()) == (
        400,
        localize(sample("error.app_token_missing.json"), api.handle),
    )
    response = api.get("Ticket/", headers={"App-Token": "nope"})
    assert (response.status_code, response.json()) == (
        400,
        localize(sample("error.wrong_app_token.json"), api.handle),
    )
    # The query-string form is accepted too.
    headers = {"App-Token": None}
    response = api.get("Ticket/", headers=headers, params={"app_token": APP_TOKEN})
    assert response.status_code == 200


# -- tickets ---------------------------------------------------------------------------------


@replays("Ticket.create.http.json", "Ticket.create.request.json", "Ticket.create.response.json")
def test_ticket_create(api: Api) -> None:
    envelope = sample("Ticket.create.http.json")
    user = create_user(api)
    body = {"input": ticket_input(user)}
    response = api.call(
        envelope["request"]["method"],
        envelope["request"]["path"].removeprefix("/apirest.php"),
        json_body=body,
    )
    expected = envelope["response"]
    assert response.status_code == expected["status"]
    assert response.headers["Content-Type"] == expected["headers"]["Content-Type"]
    ticket_id = response.json()["id"]
    assert response.headers["Location"] == f"{api.url}/Ticket/{ticket_id}"
    contract = sample("Ticket.create.response.json")
    assert_same_shape(response.json(), contract)
    assert response.json()["message"] == contract["message"].replace("4512", str(ticket_id))
    links = api.get(f"Ticket/{ticket_id}/Ticket_User").json()
    assert [(link["users_id"], link["type"]) for link in links] == [(user, 1)]


@replays("Ticket.create.actors_form.request.json")
def test_ticket_create_with_actors_form(api: Api) -> None:
    user = create_user(api)
    body = sample("Ticket.create.actors_form.request.json")
    body["input"]["_actors"]["requester"][0]["items_id"] = user
    response = api.post("Ticket/", body)
    assert response.status_code == 201
    ticket_id = response.json()["id"]
    ticket = api.get(f"Ticket/{ticket_id}").json()
    assert (ticket["type"], ticket["status"]) == (2, 2)  # a group assigned: "processing"
    users = api.get(f"Ticket/{ticket_id}/Ticket_User").json()
    assert [(u["users_id"], u["type"], u["use_notification"]) for u in users] == [(user, 1, 1)]
    groups = api.get(f"Ticket/{ticket_id}/Group_Ticket").json()
    assert [(g["groups_id"], g["type"]) for g in groups] == [(4, 2)]


@replays("Ticket.create.requester_by_email.request.json")
def test_ticket_create_with_anonymous_email_requester(api: Api) -> None:
    response = api.post("Ticket/", sample("Ticket.create.requester_by_email.request.json"))
    assert response.status_code == 201
    ticket_id = response.json()["id"]
    users = api.get(f"Ticket/{ticket_id}/Ticket_User").json()
    assert [(u["users_id"], u["alternative_email"], u["type"]) for u in users] == [
        (0, "visitor@partner.example.org", 1)
    ]
    ticket = api.get(f"Ticket/{ticket_id}").json()
    assert ticket["entities_id"] == 0 and ticket["requesttypes_id"] == 1  # defaults
    assert ticket["impact"] == 3 and ticket["priority"] == 3


@replays(
    "Ticket.create_bulk.http.json",
    "Ticket.create_bulk.request.json",
    "Ticket.create_bulk.response.json",
    "Ticket.create_bulk.partial.response.json",
)
def test_ticket_bulk_create_all_some_and_none(api: Api) -> None:
    envelope = sample("Ticket.create_bulk.http.json")
    cases = {case["case"]: case for case in envelope["responses"]}
    user = create_user(api)
    body = sample("Ticket.create_bulk.request.json")
    body["input"][0]["_users_id_requester"] = user

    # All created: entity 9 is active (root entity, recursive).
    response = api.post("Ticket/", body)
    assert response.status_code == cases["all created"]["status"]
    results = response.json()
    assert_same_shape(results, sample(cases["all created"]["body_file"]))
    ids = [r["id"] for r in results]
    assert response.headers["Link"] == ",".join(f"{api.url}/Ticket/{i}" for i in ids)
    assert [r["message"] for r in results] == [
        f"Item successfully added: Mailbox full ({ids[0]})",
        f"Item successfully added: Badge reader broken ({ids[1]})",
    ]

    # Some failed: with only the root entity active, entity 9 is out of reach.
    assert api.post("changeActiveEntities", {"entities_id": 0, "is_recursive": False}).json()
    response = api.post("Ticket/", body)
    assert response.status_code == cases["some failed"]["status"] == 207
    partial = sample(cases["some failed"]["body_file"])
    created = response.json()[1][0]["id"]
    partial[1][0] = {"id": created, "message": f"Item successfully added: Mailbox full ({created})"}
    assert response.json() == partial

    # All failed.
    for item in body["input"]:
        item["entities_id"] = 9
    response = api.post("Ticket/", body)
    assert response.status_code == cases["all failed"]["status"]
    assert response.json() == sample(cases["all failed"]["body_file"])


@replays("Ticket.get.http.json", "Ticket.get.response.json")
def test_ticket_get(api: Api) -> None:
    envelope = sample("Ticket.get.http.json")
    user = create_user(api)
    ticket_id = api.post("Ticket/", {"input": ticket_input(user)}).json()["id"]
    response = api.get(f"Ticket/{ticket_id}", params=envelope["request"]["query"])
    assert response.status_code == envelope["response"]["status"]
    contract = localize(sample("Ticket.get.response.json"), api.handle)
    body = response.json()
    assert_same_shape(body, contract)
    for key in ("name", "content", "status", "urgency", "impact", "priority", "type"):
        assert body[key] == contract[key], key
    for key in ("itilcategories_id", "requesttypes_id", "users_id_recipient", "entities_id"):
        assert body[key] == contract[key], key
    assert body["links"] == [
        {"rel": link["rel"], "href": link["href"].replace("4512", str(ticket_id))}
        for link in contract["links"]
    ]
    last_modified = response.headers["Last-Modified"]
    assert last_modified.endswith(" GMT") and len(last_modified) == len(
        envelope["response"]["headers"]["Last-Modified"]
    )
    # The note: without X-GLPI-Sanitized-Content: false, content comes back HTML-encoded.
    encoded = api.get(f"Ticket/{ticket_id}", headers={"X-GLPI-Sanitized-Content": "true"})
    assert encoded.json()["content"].startswith("&lt;p&gt;Since Monday")
    # get_hateoas=false drops the links.
    assert "links" not in api.get(f"Ticket/{ticket_id}", params={"get_hateoas": "false"}).json()


@replays("Ticket.list.http.json", "Ticket.list.response.json")
def test_ticket_list(api: Api) -> None:
    envelope = sample("Ticket.list.http.json")
    make_tickets(api, 20, "VPN issue")
    make_tickets(api, 5, "Printer")
    api.handle.advance_clock(60)
    make_tickets(api, 17, "vpn again")
    response = api.get("Ticket/", params=envelope["request"]["query"])
    expected = envelope["response"]
    assert response.status_code == expected["status"]
    assert response.headers["Content-Range"] == expected["headers"]["Content-Range"]
    assert response.headers["Accept-Range"] == expected["headers"]["Accept-Range"]
    rows = response.json()
    assert_same_shape(rows, localize(sample("Ticket.list.response.json"), api.handle))
    assert rows[0]["date_mod"] >= rows[1]["date_mod"]
    assert rows[0]["name"].startswith("vpn again")  # the newest batch comes first
    assert all("vpn" in row["name"].lower() for row in rows)


@replays("Ticket.update.http.json", "Ticket.update.request.json", "Ticket.update.response.json")
def test_ticket_update(api: Api) -> None:
    envelope = sample("Ticket.update.http.json")
    ticket_id = api.post("Ticket/", {"input": ticket_input()}).json()["id"]
    for method in ("PUT", "PATCH"):
        response = api.call(
            method, f"Ticket/{ticket_id}", json_body=sample("Ticket.update.request.json")
        )
        assert response.status_code == envelope["response"]["status"]
        expected = sample("Ticket.update.response.json")
        assert response.json() == [{str(ticket_id): True, "message": ""}]
        assert_same_shape(response.json(), [{str(ticket_id): True, "message": ""}])
        assert list(expected[0]) == ["4512", "message"]
    ticket = api.get(f"Ticket/{ticket_id}").json()
    assert (ticket["status"], ticket["urgency"], ticket["itilcategories_id"]) == (2, 5, 14)
    assert ticket["priority"] == 4  # urgency 5 x impact 3 in GLPI's default matrix
    # Bulk form: PUT Ticket/ with ids in the input list.
    other = create_ticket(api)
    response = api.put("Ticket/", {"input": [{"id": ticket_id, "urgency": 1}, {"id": other}]})
    assert response.json() == [
        {str(ticket_id): True, "message": ""},
        {str(other): True, "message": ""},
    ]
    # A nonexistent id: 400, not 404, and GLPI's message is null.
    response = api.put("Ticket/999999", {"input": {"urgency": 2}})
    assert (response.status_code, response.json()) == (400, ["ERROR_GLPI_UPDATE", None])
    response = api.put("Ticket/", {"input": [{"id": ticket_id, "urgency": 2}, {"id": 999999}]})
    assert response.status_code == 207
    assert response.json() == [
        "ERROR_GLPI_PARTIAL_UPDATE",
        [{str(ticket_id): True, "message": ""}, {"999999": False, "message": None}],
    ]


@replays("Ticket.delete.response.json")
def test_ticket_delete_trash_and_purge(api: Api) -> None:
    ticket_id = create_ticket(api)
    response = api.delete(f"Ticket/{ticket_id}")
    assert response.status_code == 200
    expected = sample("Ticket.delete.response.json")
    assert response.json() == [{str(ticket_id): True, "message": ""}]
    assert len(response.json()) == len(expected)
    # In the trash: still readable, out of the default list, in the is_deleted list.
    assert api.get(f"Ticket/{ticket_id}").json()["is_deleted"] == 1
    assert api.get("Ticket/").json() == []
    assert [t["id"] for t in api.get("Ticket/", params={"is_deleted": "true"}).json()] == [
        ticket_id
    ]
    response = api.delete(f"Ticket/{ticket_id}", params={"force_purge": "true"})
    assert response.status_code == 200
    assert api.get(f"Ticket/{ticket_id}").status_code == 404
    response = api.delete(f"Ticket/{ticket_id}")
    assert (response.status_code, response.json()) == (400, ["ERROR_GLPI_DELETE", "Item not found"])
    # Bulk delete with a list body.
    first, second = create_ticket(api), create_ticket(api)
    response = api.call("DELETE", "Ticket/", json_body={"input": [{"id": first}, {"id": 999}]})
    assert response.status_code == 207
    assert response.json() == [
        "ERROR_GLPI_PARTIAL_DELETE",
        [{str(first): True, "message": ""}, {"999": False, "message": "Item not found"}],
    ]
    response = api.call("DELETE", "Ticket/", json_body={"input": [{"id": second}]})
    assert response.json() == [{str(second): True, "message": ""}]


# -- followups, users, contacts ---------------------------------------------------------------


@replays(
    "ITILFollowup.create.request.json",
    "ITILFollowup.create.response.json",
    "ITILFollowup.list.response.json",
)
def test_followup_create_and_list(api: Api) -> None:
    ticket_id = api.post("Ticket/", {"input": ticket_input()}).json()["id"]
    api.handle.advance_clock(30)
    body = sample("ITILFollowup.create.request.json")
    body["input"]["items_id"] = ticket_id
    response = api.post("ITILFollowup/", body)
    assert response.status_code == 201
    assert_same_shape(response.json(), sample("ITILFollowup.create.response.json"))
    assert response.json()["message"] == ""
    followup_id = response.json()["id"]
    assert response.headers["Location"] == f"{api.url}/ITILFollowup/{followup_id}"
    response = api.get(f"Ticket/{ticket_id}/ITILFollowup")
    assert response.status_code == 200
    contract = localize(sample("ITILFollowup.list.response.json"), api.handle)
    rows = response.json()
    assert_same_shape(rows, contract)
    row = rows[0]
    assert (row["users_id"], row["content"], row["timeline_position"]) == (
        31,
        body["input"]["content"],
        4,
    )
    assert [link["href"] for link in row["links"]] == [
        link["href"] for link in contract[0]["links"]
    ]
    # The followup moved the ticket's date_mod.
    ticket = api.get(f"Ticket/{ticket_id}").json()
    assert ticket["date_mod"] == row["date_mod"] > ticket["date_creation"]


def test_followup_rules(api: Api) -> None:
    ticket_id = create_ticket(api)
    body = {"input": {"itemtype": "Ticket", "items_id": ticket_id, "content": ""}}
    response = api.post("ITILFollowup/", body)
    assert response.json() == ["ERROR_GLPI_ADD", "You can't add a followup without description"]
    body = {"input": {"itemtype": "Ticket", "items_id": 999999, "content": "x"}}
    assert api.post("ITILFollowup/", body).status_code == 400
    api.handle.set_ticket_status(ticket_id, 6)
    body = {"input": {"itemtype": "Ticket", "items_id": ticket_id, "content": "x"}}
    response = api.post("ITILFollowup/", body)
    assert response.json() == [
        "ERROR_GLPI_ADD",
        "You don't have permission to perform this action.",
    ]


@replays(
    "User.create.request.json",
    "User.create.response.json",
    "User.get.response.json",
    "User.update.request.json",
    "UserEmail.lookup.http.json",
)
def test_user_create_get_update_and_email_lookup(api: Api) -> None:
    response = api.post("User/", sample("User.create.request.json"))
    assert response.status_code == 201
    assert_same_shape(response.json(), sample("User.create.response.json"))
    assert response.json()["message"] == sample("User.create.response.json")["message"]
    user_id = response.json()["id"]
    response = api.get(f"User/{user_id}")
    contract = localize(sample("User.get.response.json"), api.handle)
    body = response.json()
    assert_same_shape(body, contract)
    assert [link["href"] for link in body["links"]] == [
        link["href"].replace("/27/", f"/{user_id}/") for link in contract["links"]
    ]
    for secret in ("password", "password2", "api_token", "personal_token"):
        assert secret not in body

    envelope = sample("UserEmail.lookup.http.json")
    response = api.get(
        envelope["request"]["path"].removeprefix("/apirest.php"),
        params=envelope["request"]["query"],
    )
    assert response.status_code == envelope["response"]["status"]
    for header, value in envelope["response"]["headers"].items():
        assert response.headers[header] == value
    expected = envelope["response"]["body"]
    email_id = response.json()[0]["id"]
    assert response.json() == [dict(expected[0], id=email_id, users_id=user_id)]

    # Update: the contract's address id 58 is this sandbox's email_id.
    update = json.loads(
        json.dumps(sample("User.update.request.json")).replace('"58"', f'"{email_id}"')
    )
    update["input"]["_default_email"] = email_id
    response = api.put(f"User/{user_id}", update)
    assert response.json() == [{str(user_id): True, "message": ""}]
    emails = api.get(f"User/{user_id}/UserEmail").json()
    assert sorted((e["email"], e["is_default"]) for e in emails) == [
        ("j.doe@example.org", 0),
        ("jane.doe@example.com", 1),
    ]
    assert api.get(f"User/{user_id}").json()["mobile"] == "+33 6 98 76 54 32"
    # A duplicate login.
    response = api.post("User/", sample("User.create.request.json"))
    assert response.json() == ["ERROR_GLPI_ADD", "Unable to add. The user already exists."]


@replays("Contact.create.request.json", "Contact.create.response.json", "Contact.get.response.json")
def test_contact_create_and_get(api: Api) -> None:
    response = api.post("Contact/", sample("Contact.create.request.json"))
    assert response.status_code == 201
    assert response.json()["message"] == sample("Contact.create.response.json")["message"]
    contact_id = response.json()["id"]
    contract = localize(sample("Contact.get.response.json"), api.handle)
    body = api.get(f"Contact/{contact_id}").json()
    assert_same_shape(body, contract)
    assert {
        k: v for k, v in body.items() if k not in ("id", "date_mod", "date_creation", "links")
    } == {
        k: v for k, v in contract.items() if k not in ("id", "date_mod", "date_creation", "links")
    }


# -- search ----------------------------------------------------------------------------------


def _search_fixture(api: Api) -> dict[str, int]:
    """The three open VPN tickets of search.Ticket.response.json, plus noise."""
    glpi = api.handle
    jdoe = create_user(api)
    asmith = api.post("User/", {"input": {"name": "asmith"}}).json()["id"]
    bwong = api.post("User/", {"input": {"name": "bwong"}}).json()["id"]
    client = create_ticket(
        api, name="VPN client install fails", entities_id=3, _users_id_requester=[asmith, bwong]
    )
    api.put(f"Ticket/{client}", {"input": {"status": 2}})
    create_ticket(api, name="Old VPN problem", status=5)
    create_ticket(api, name="Printer jam")
    slow = create_ticket(api, name="VPN is slow")
    glpi.advance_clock(60)
    api.put(f"Ticket/{client}", {"input": {"urgency": 4}})
    glpi.advance_clock(60)
    main = api.post("Ticket/", {"input": ticket_input(jdoe)}).json()["id"]
    return {"main": main, "client": client, "slow": slow, "jdoe": jdoe}


@replays("search.Ticket.http.json", "search.Ticket.response.json")
def test_search_tickets(api: Api) -> None:
    ids = _search_fixture(api)
    envelope = sample("search.Ticket.http.json")
    response = api.get("search/Ticket/", params=envelope["request"]["query_pairs"])
    expected = envelope["response"]
    assert response.status_code == expected["status"]
    for header, value in expected["headers"].items():
        assert response.headers[header] == value
    body = response.json()
    contract = sample("search.Ticket.response.json")
    assert_same_shape(body, contract)
    main, client = (api.get(f"Ticket/{ids[k]}").json() for k in ("main", "client"))
    for row, ticket in zip(contract["data"], (main, client), strict=True):
        row["2"] = ticket["id"]
        row["15"] = ticket["date"]
    assert body == contract


@replays("search.Ticket.withindexes.response.json")
def test_search_with_indexes(api: Api) -> None:
    ids = _search_fixture(api)
    params = {
        "criteria[0][field]": "2",
        "criteria[0][searchtype]": "equals",
        "criteria[0][value]": str(ids["main"]),
        "forcedisplay[0]": "2",
        "forcedisplay[1]": "12",
        "withindexes": "true",
    }
    body = api.get("search/Ticket/", params=params).json()
    contract = sample("search.Ticket.withindexes.response.json")
    assert list(body) == list(contract)
    assert list(body["data"]) == [str(ids["main"])]
    row = body["data"][str(ids["main"])]
    # The contract's install had one entity; this one is multi-entity, so GLPI adds "80".
    assert {k: v for k, v in row.items() if k != "80"} == {
        "1": "VPN disconnects every 10 minutes",
        "2": ids["main"],
        "12": 1,
    }
    assert body["content-range"] == contract["content-range"]


@replays("search.Ticket.empty.response.json")
def test_search_without_results(api: Api) -> None:
    create_ticket(api)
    params = {
        "criteria[0][field]": "1",
        "criteria[0][searchtype]": "contains",
        "criteria[0][value]": "nothing like this",
    }
    response = api.get("search/Ticket/", params=params)
    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert response.json() == sample("search.Ticket.empty.response.json")


@replays("search.User.by_email.http.json")
def test_search_user_by_email(api: Api) -> None:
    user_id = create_user(api)
    envelope = sample("search.User.by_email.http.json")
    response = api.get("search/User/", params=envelope["request"]["query_pairs"])
    assert response.status_code == envelope["response"]["status"]
    expected = envelope["response"]["body"]
    expected["data"][0]["2"] = user_id
    assert response.json() == expected
    assert response.headers["Content-Range"] == "0-0/1"


@replays("listSearchOptions.Ticket.response.json")
def test_list_search_options(api: Api) -> None:
    response = api.get("listSearchOptions/Ticket")
    assert response.status_code == 200
    body = response.json()
    for key, value in sample("listSearchOptions.Ticket.response.json").items():
        assert body[key] == value, key
    for option in (
        "21",
        "10",
        "11",
        "3",
        "14",
        "7",
        "9",
        "5",
        "71",
        "8",
        "15",
        "19",
        "16",
        "17",
        "80",
    ):
        assert option in body


def test_search_criteria_logic_and_date_mod(api: Api) -> None:
    ids = _search_fixture(api)
    glpi = api.handle
    base = {"forcedisplay[0]": "2", "range": "0-49"}

    def found(criteria: dict[str, str]) -> set[int]:
        response = api.get("search/Ticket/", params={**base, **criteria})
        assert response.status_code == 200, response.text
        return {row["2"] for row in response.json().get("data", [])}

    everything = found({})
    assert len(everything) == 5
    # SQL precedence: A OR B AND C == A OR (B AND C).
    assert found(
        {
            "criteria[0][field]": "1",
            "criteria[0][searchtype]": "contains",
            "criteria[0][value]": "^printer",
            "criteria[1][link]": "OR",
            "criteria[1][field]": "1",
            "criteria[1][searchtype]": "contains",
            "criteria[1][value]": "vpn",
            "criteria[2][link]": "AND",
            "criteria[2][field]": "12",
            "criteria[2][searchtype]": "equals",
            "criteria[2][value]": "2",
        }
    ) == {
        ids["client"],
        *found(
            {
                "criteria[0][field]": "1",
                "criteria[0][searchtype]": "contains",
                "criteria[0][value]": "printer",
            }
        ),
    }
    # Requester by user id, entity under Paris, AND NOT.
    assert found(
        {
            "criteria[0][field]": "4",
            "criteria[0][searchtype]": "equals",
            "criteria[0][value]": str(ids["jdoe"]),
        }
    ) == {ids["main"]}
    assert found(
        {"criteria[0][field]": "80", "criteria[0][searchtype]": "under", "criteria[0][value]": "3"}
    ) == {ids["client"]}
    assert found(
        {
            "criteria[0][field]": "1",
            "criteria[0][searchtype]": "contains",
            "criteria[0][value]": "vpn",
            "criteria[1][link]": "AND NOT",
            "criteria[1][field]": "12",
            "criteria[1][searchtype]": "equals",
            "criteria[1][value]": "old",
        }
    ) == {ids["main"], ids["client"], ids["slow"]}
    # date_mod (option 19): changes since a point in time, the connector's incremental pull.
    glpi.advance_clock(600)  # less than the 1440 s idle limit: the session lives on
    since = glpi.state()["clock"]["now"]
    glpi.advance_clock(5)
    glpi.set_ticket_status(ids["slow"], 4)
    assert found(
        {
            "criteria[0][field]": "19",
            "criteria[0][searchtype]": "morethan",
            "criteria[0][value]": since,
        }
    ) == {ids["slow"]}
    # Nested group.
    assert found(
        {
            "criteria[0][criteria][0][field]": "2",
            "criteria[0][criteria][0][searchtype]": "equals",
            "criteria[0][criteria][0][value]": str(ids["slow"]),
        }
    ) == {ids["slow"]}


def test_search_paging_and_sorting(api: Api) -> None:
    made = make_tickets(api, 7, "Ticket")
    params = {"forcedisplay[0]": "2", "sort": "2", "order": "DESC", "range": "2-3"}
    response = api.get("search/Ticket/", params=params)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "2-3/7"
    assert [row["2"] for row in response.json()["data"]] == sorted(made, reverse=True)[2:4]
    assert response.json()["sort"] == [2]
    response = api.get("search/Ticket/", params={"range": "8-9"})
    assert response.json()[0] == "ERROR_RANGE_EXCEED_TOTAL"
    response = api.get("search/Ticket/", params={"uid_cols": "true", "forcedisplay[0]": "2"})
    assert set(response.json()["data"][0]) == {
        "Ticket.name",
        "Ticket.id",
        "Ticket.Entity.completename",
    }


# -- lists, paging, date_mod -----------------------------------------------------------------


def test_list_paging_content_range(api: Api) -> None:
    response = api.get("Ticket/", params={"range": "0-49"})
    assert (response.status_code, response.json()) == (200, [])
    assert "Content-Range" not in response.headers
    made = make_tickets(api, 20)
    response = api.get("Ticket/")  # default range: list_limit 15
    assert (response.status_code, response.headers["Content-Range"]) == (206, "0-14/20")
    assert [t["id"] for t in response.json()] == made[:15]
    response = api.get("Ticket/", params={"range": "15-49"})
    assert (response.status_code, response.headers["Content-Range"]) == (206, "15-19/20")
    response = api.get("Ticket/", params={"range": "0-49"})
    assert (response.status_code, response.headers["Content-Range"]) == (200, "0-19/20")
    response = api.get("Ticket/", params={"range": "0-49", "only_id": "true"})
    assert response.json()[0] == {"id": made[0]}
    response = api.get("Ticket/", params={"range": "5-"})
    assert response.json()[0] == "ERROR"


def test_date_mod_follows_every_change(api: Api) -> None:
    glpi = api.handle
    ticket_id = create_ticket(api)
    created = api.get(f"Ticket/{ticket_id}").json()["date_mod"]
    glpi.advance_clock(60)
    api.put(f"Ticket/{ticket_id}", {"input": {"urgency": 3}})  # no real change
    assert api.get(f"Ticket/{ticket_id}").json()["date_mod"] == created
    api.put(f"Ticket/{ticket_id}", {"input": {"urgency": 5}})
    updated = api.get(f"Ticket/{ticket_id}").json()["date_mod"]
    assert updated > created
    glpi.advance_clock(60)
    other = create_ticket(api)
    # Sort by date_mod: the newest first.
    params = {"sort": "date_mod", "order": "DESC", "range": "0-9"}
    assert [t["id"] for t in api.get("Ticket/", params=params).json()] == [other, ticket_id]
    glpi.advance_clock(60)
    ticket = glpi.set_ticket_status(ticket_id, 5)
    assert isinstance(ticket, dict)
    assert ticket["date_mod"] > updated and ticket["users_id_lastupdater"] == 4
    assert ticket["solvedate"] == ticket["date_mod"]
    assert [t["id"] for t in api.get("Ticket/", params=params).json()] == [ticket_id, other]


def test_list_search_text_and_sql_errors(api: Api) -> None:
    make_tickets(api, 2, "Alpha")
    make_tickets(api, 1, "Beta")
    assert len(api.get("Ticket/", params={"searchText[name]": "^alpha"}).json()) == 2
    assert len(api.get("Ticket/", params={"searchText[name]": "1$"}).json()) == 1
    response = api.get("Ticket/", params={"sort": "nope"})
    assert (response.status_code, response.json()) == (
        500,
        [
            "ERROR_SQL",
            "Unexpected SQL Error : Unknown column 'glpi_tickets.nope' in 'order clause'",
        ],
    )


def test_entity_scoping(api: Api) -> None:
    glpi = api.handle
    budapest = glpi.create_ticket(name="Budapest", content="x", entities_id=5)
    paris = glpi.create_ticket(name="Paris", content="x", entities_id=7)
    assert api.post("changeActiveEntities", {"entities_id": 3, "is_recursive": True}).json()
    assert [t["id"] for t in api.get("Ticket/").json()] == [paris]
    assert api.get(f"Ticket/{budapest}").status_code == 403
    response = api.post("Ticket/", {"input": {"content": "x", "entities_id": 5}})
    assert response.json() == [
        "ERROR_GLPI_ADD",
        "You don't have permission to perform this action.",
    ]


def test_unknown_input_fields_are_dropped_and_noted(api: Api) -> None:
    api.handle.clear_requests()
    ticket_id = create_ticket(api, no_such_field=1)
    assert "no_such_field" not in api.get(f"Ticket/{ticket_id}").json()
    notes = api.handle.requests()[0]["notes"]
    assert any("no_such_field" in note for note in notes)


def test_name_defaults_to_content_and_html_is_encoded_by_default(api: Api) -> None:
    response = api.post(
        "Ticket/",
        {"input": {"content": "<p>Screen &amp; keyboard</p>"}},
        headers={"X-GLPI-Sanitized-Content": "true"},
    )
    ticket_id = response.json()["id"]
    assert (
        response.json()["message"]
        == f"Item successfully added: Screen &amp; keyboard ({ticket_id})"
    )
    ticket = api.get(f"Ticket/{ticket_id}", headers={"X-GLPI-Sanitized-Content": "false"}).json()
    assert ticket["name"] == "Screen & keyboard"


# -- errors: every error.*.json provoked -------------------------------------------------------


def _call_without_session(api: Api, **headers: str | None) -> requests.Response:
    merged = {"Session-Token": None, **headers}
    return api.get("Ticket/", headers=merged)


def _init_with(api: Api, headers: dict[str, str | None]) -> requests.Response:
    merged: dict[str, str | None] = {"Session-Token": None, **headers}
    return api.get("initSession", headers=merged)


def _outside_ticket(api: Api) -> int:
    ticket = api.handle.create_ticket(name="Budapest", content="x", entities_id=5)
    assert api.post("changeActiveEntities", {"entities_id": 3, "is_recursive": True}).json()
    return ticket


def _provoke_not_allowed_ip(api: Api) -> requests.Response:
    api.handle.configure(allowed_ips=["203.0.113.25"])
    return api.get("Ticket/")


def _provoke_login_failed(api: Api) -> requests.Response:
    api.handle.configure(credentials_login_enabled=True)
    return _init_with(api, {"Authorization": "Basic Z2xwaTp3cm9uZw=="})  # glpi:wrong


def _provoke_glpi_add(api: Api) -> requests.Response:
    api.handle.configure(mandatory_ticket_fields=["itilcategories_id"])
    return api.post("Ticket/", {"input": {"name": "No category", "content": "x"}})


def _provoke_glpi_add_bulk(api: Api) -> requests.Response:
    items = [{"name": "a", "content": "x", "entities_id": 5} for _ in range(2)]
    assert api.post("changeActiveEntities", {"entities_id": 3, "is_recursive": True}).json()
    return api.post("Ticket/", {"input": items})


def _provoke_range_exceed_total(api: Api) -> requests.Response:
    make_tickets(api, 37)
    return api.get("Ticket/", params={"range": "38-50"})


ERROR_PROVOKERS: dict[str, Callable[[Api], requests.Response]] = {
    "error.session_invalid.json": lambda api: api.get(
        "Ticket/", headers={"Session-Token": "0" * 40}
    ),
    "error.session_token_missing.json": _call_without_session,
    "error.app_token_missing.json": lambda api: _init_with(
        api, {"App-Token": None, "Authorization": f"user_token {USER_TOKEN}"}
    ),
    "error.wrong_app_token.json": lambda api: _init_with(
        api, {"App-Token": "wrong", "Authorization": f"user_token {USER_TOKEN}"}
    ),
    "error.login_parameters_missing.json": lambda api: _init_with(api, {}),
    "error.login_credentials_disabled.json": lambda api: _init_with(
        api, {"Authorization": "Basic Z2xwaTpnbHBp"}
    ),
    "error.login_user_token_invalid.json": lambda api: _init_with(
        api, {"Authorization": "user_token nope"}
    ),
    "error.login_failed.json": _provoke_login_failed,
    "error.not_allowed_ip.json": _provoke_not_allowed_ip,
    "error.api_disabled.json": lambda api: (
        api.handle.configure(api_enabled=False),
        api.get("Ticket/"),
    )[1],
    "error.right_missing.json": lambda api: api.get(f"Ticket/{_outside_ticket(api)}"),
    "error.item_not_found.json": lambda api: api.get("Ticket/999999"),
    "error.bad_array.json": lambda api: api.put(f"Ticket/{create_ticket(api)}", {"status": 2}),
    "error.method_not_allowed.json": lambda api: api.post(f"Ticket/{create_ticket(api)}", {}),
    "error.itemtype_not_found.json": lambda api: api.get("NotAnItemtype/"),
    "error.json_payload_forbidden.json": lambda api: api.get("Ticket/", data='{"range":"0-1"}'),
    "error.json_payload_invalid.json": lambda api: api.call("POST", "Ticket/", data="{nope"),
    "error.glpi_add.json": _provoke_glpi_add,
    "error.glpi_add_bulk.json": _provoke_glpi_add_bulk,
    "error.glpi_update.json": lambda api: api.put(
        f"Ticket/{_outside_ticket(api)}", {"input": {"urgency": 5}}
    ),
    "error.range_exceed_total.json": _provoke_range_exceed_total,
    "error.range_format.json": lambda api: api.get("Ticket/", params={"range": "a-b"}),
    "error.search_bad_field.json": lambda api: api.get(
        "search/Ticket/",
        params={
            "criteria[0][field]": "9999",
            "criteria[0][searchtype]": "contains",
            "criteria[0][value]": "x",
        },
    ),
    "error.search_malformed.json": lambda api: api.get(
        "search/Ticket/", params={"criteria[0][field]": "1"}
    ),
    "error.sql.json": lambda api: api.get("Ticket/", params={"searchText[foo]": "x"}),
}


def _error_statuses() -> dict[str, int]:
    statuses: dict[str, int] = dict(sample("errors.index.json")["status_by_file"])
    for envelope in CONTRACT.glob("*.http.json"):
        for response in json.loads(envelope.read_text()).get("responses", []):
            if response.get("body_file", "").startswith("error."):
                statuses.setdefault(response["body_file"], response["status"])
    return statuses


REPLAYED.add("errors.index.json")


@pytest.mark.parametrize("name", sorted(ERROR_PROVOKERS))
def test_error_sample_is_reproduced_exactly(api: Api, name: str) -> None:
    statuses = _error_statuses()
    assert name in statuses, f"{name} has no status in errors.index.json or an envelope"
    response = ERROR_PROVOKERS[name](api)
    expected = localize(sample(name), api.handle)
    if name == "error.not_allowed_ip.json":
        expected[1] = expected[1].replace("203.0.113.25", "127.0.0.1")
    assert response.status_code == statuses[name]
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.json() == expected
    api.handle.configure(api_enabled=True, allowed_ips=["127.0.0.1", "::1"])


def test_get_with_body_is_refused_and_logged(api: Api) -> None:
    api.handle.clear_requests()
    response = api.get(f"Ticket/{create_ticket(api)}", data='{"input": {}}')
    assert response.json()[0] == "ERROR_JSON_PAYLOAD_FORBIDDEN"
    log = api.handle.requests()
    assert isinstance(log, list)
    assert [(e["method"], e["body_sent"], e["error"]) for e in log] == [
        ("POST", True, None),
        ("GET", True, "ERROR_JSON_PAYLOAD_FORBIDDEN"),
    ]
    assert log[1]["session_token"] == api.token


def test_input_wrapper_is_mandatory(api: Api) -> None:
    response = api.post("Ticket/", {"name": "bare", "content": "x"})
    assert response.json()[0] == "ERROR_BAD_ARRAY"
    response = api.post("Ticket/", {"input": "text"})
    assert response.json()[0] == "ERROR_BAD_ARRAY"


# -- control endpoints -----------------------------------------------------------------------


def test_control_state_requests_and_reset(api: Api) -> None:
    glpi = api.handle
    ticket_id = create_ticket(api)
    state = glpi.state()
    assert isinstance(state, dict)
    assert state["counts"]["Ticket"] == 1
    assert state["records"]["Ticket"][0]["id"] == ticket_id
    assert state["init_session_calls"] == 1
    assert [s["token"] for s in state["sessions"]] == [api.token]
    assert {e["id"] for e in state["records"]["Entity"]} == {0, 3, 5, 7, 8, 9}
    log = glpi.requests()
    assert isinstance(log, list)
    assert [(e["method"], e["resource"], e["status"]) for e in log] == [
        ("GET", "initSession", 200),
        ("POST", "Ticket", 201),
    ]
    assert glpi.requests(since=log[0]["seq"]) == log[1:]
    glpi.clear_requests()
    assert glpi.requests() == []
    glpi.reset()
    state = glpi.state()
    assert state["counts"]["Ticket"] == 0 and state["sessions"] == []
    assert state["init_session_calls"] == 0


def test_control_technician_followups_and_status(api: Api) -> None:
    glpi = api.handle
    user = create_user(api)
    ticket_id = api.post("Ticket/", {"input": ticket_input(user)}).json()["id"]
    public = glpi.add_followup(ticket_id, "We are on it")
    private = glpi.add_followup(ticket_id, "Internal: reboot the concentrator", is_private=True)
    assert isinstance(public, dict) and isinstance(private, dict)
    assert public["followup"]["users_id"] == 4 and public["followup"]["is_private"] == 0
    assert private["followup"]["is_private"] == 1
    rows = api.get(f"Ticket/{ticket_id}/ITILFollowup").json()
    assert [(r["users_id"], r["is_private"]) for r in rows] == [(4, 0), (4, 1)]
    # Solved by the technician; the requester's answer (a followup by jdoe) reopens it.
    glpi.set_ticket_status(ticket_id, 5)
    assert api.get(f"Ticket/{ticket_id}").json()["status"] == 5
    glpi.add_followup(ticket_id, "Still broken", users_id=user)
    assert api.get(f"Ticket/{ticket_id}").json()["status"] == 1
    with pytest.raises(RuntimeError, match="404"):
        glpi.set_ticket_status(999999, 2)
    with pytest.raises(RuntimeError, match="400"):
        glpi.set_ticket_status(ticket_id, 9)


def test_healthz_and_unknown_paths(glpi: SandboxHandle) -> None:
    assert requests.get(f"{glpi.base_url}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{glpi.base_url}/other", timeout=5).status_code == 404
    assert requests.get(f"{glpi.base_url}/_sandbox/nope", timeout=5).status_code == 404


def test_only_loopback_is_accepted() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        start_sandbox(host="0.0.0.0")


# -- faults ----------------------------------------------------------------------------------


def test_fault_500_and_html500(api: Api) -> None:
    glpi = api.handle
    glpi.set_fault("500", count=1)
    response = api.get("Ticket/")
    assert response.status_code == 500 and response.json()[0] == "ERROR"
    assert api.get("Ticket/").status_code == 200  # count used up
    glpi.set_fault("html500")
    response = api.get("Ticket/")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()
    glpi.clear_faults()
    assert api.get("Ticket/").status_code == 200


def test_fault_garbage_and_missing_fields(api: Api) -> None:
    glpi = api.handle
    glpi.set_fault("garbage_json", count=1)
    response = api.post("Ticket/", {"input": {"content": "x"}})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    with pytest.raises(ValueError):
        response.json()
    assert glpi.state()["counts"]["Ticket"] == 0
    glpi.set_fault("missing_fields", count=1, paths="^initSession")
    response = requests.get(f"{glpi.url}/initSession", headers=glpi.headers, timeout=5)
    assert (response.status_code, response.json()) == (200, {})
    glpi.set_fault("missing_fields", after=True, count=1)
    response = api.get("Ticket/", params={"range": "0-9"})
    assert response.json() == []
    create_ticket(api)
    glpi.set_fault("missing_fields", after=True, count=1)
    assert api.get("Ticket/").json() == [{}]


def test_fault_after_applies_the_request_and_loses_the_answer(api: Api) -> None:
    glpi = api.handle
    glpi.set_fault("500", after=True, count=1)
    response = api.post("Ticket/", {"input": {"content": "lost answer"}})
    assert response.status_code == 500
    assert glpi.state()["counts"]["Ticket"] == 1
    glpi.set_fault("garbage_json", after=True, count=1)
    response = api.post("Ticket/", {"input": {"content": "garbled answer"}})
    assert response.text.startswith("<br />")
    assert glpi.state()["counts"]["Ticket"] == 2
    log = glpi.requests()
    assert isinstance(log, list)
    assert [e["fault"] for e in log[-4:]] == [None, "garbage_json", None, None] or any(
        e["fault"] == "500" for e in log
    )


def test_fault_slow_and_timeout(api: Api) -> None:
    glpi = api.handle
    glpi.set_fault("slow", delay=0.3, count=1)
    started = time.monotonic()
    assert api.get("Ticket/").status_code == 200
    assert time.monotonic() - started >= 0.3
    glpi.set_fault("timeout", delay=0.2, count=1)
    response = api.get("Ticket/")
    assert response.status_code == 504
    glpi.set_fault("timeout", delay=5, count=1)
    with pytest.raises(requests.Timeout):
        api.get("Ticket/", timeout=0.5)
    faults = glpi.control("GET", "faults")
    assert isinstance(faults, dict) and faults["fault"] is None


def test_fault_validation(glpi: SandboxHandle) -> None:
    with pytest.raises(RuntimeError, match="mode must be one of"):
        glpi.set_fault("explode")
    with pytest.raises(RuntimeError, match="ratio"):
        glpi.set_fault("500", ratio=2)


# -- CLI -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serves_the_api() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandboxes.glpi",
            "--port",
            str(port),
            "--app-token",
            "APP",
            "--user-token",
            "UT",
            "--session-idle-seconds",
            "60",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        headers = {"App-Token": "APP", "Authorization": "user_token UT"}
        for _ in range(50):
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/apirest.php/initSession", headers=headers, timeout=1
                )
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert response.status_code == 200
        state = requests.get(f"http://127.0.0.1:{port}/_sandbox/state", timeout=2).json()
        assert state["session_idle_seconds"] == 60
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- smaller API surfaces --------------------------------------------------------------------


def test_get_multiple_items_subitem_post_and_expand_dropdowns(api: Api) -> None:
    ticket_id = api.post("Ticket/", {"input": ticket_input()}).json()["id"]
    params = {
        "items[0][itemtype]": "ticket",
        "items[0][items_id]": str(ticket_id),
        "items[1][itemtype]": "Entity",
        "items[1][items_id]": "3",
    }
    found = api.get("getMultipleItems", params=params).json()
    assert [item["id"] for item in found] == [ticket_id, 3]
    assert found[1]["completename"] == "Root entity > Paris"
    # POST on the sub-item path creates the sub-item; the parent keys must be in the input.
    body = {"input": {"itemtype": "Ticket", "items_id": ticket_id, "content": "via sub-path"}}
    assert api.post(f"Ticket/{ticket_id}/ITILFollowup", body).status_code == 201
    expanded = api.get(f"Ticket/{ticket_id}", params={"expand_dropdowns": "true"}).json()
    assert expanded["entities_id"] == "Root entity"
    assert expanded["itilcategories_id"] == "Network"
    assert expanded["users_id_recipient"] == "ERP KGC"
    # Unknown parent / sub itemtypes.
    response = api.get(f"Nope/{ticket_id}/ITILFollowup")
    assert response.json()[0] == "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM"
    assert api.get("Ticket/999999/ITILFollowup").status_code == 404


def test_user_purge_removes_emails(api: Api) -> None:
    user_id = create_user(api)
    assert len(api.get(f"User/{user_id}/UserEmail").json()) == 1
    api.delete(f"User/{user_id}", params={"force_purge": "true"})
    assert api.get("UserEmail/", params={"searchText[users_id]": str(user_id)}).json() == []


def test_control_create_ticket_as_ui_user(api: Api) -> None:
    glpi = api.handle
    ticket_id = glpi.create_ticket(
        users_id=5, name="Mouse", content="broken", _users_id_requester=5
    )
    ticket = api.get(f"Ticket/{ticket_id}").json()
    assert (ticket["users_id_recipient"], ticket["status"]) == (5, 1)
    with pytest.raises(RuntimeError, match="400"):
        glpi.create_ticket(name="no content")
