"""The Chatwoot client against the sandbox and against Chatwoot's own swagger.json:
every request the client can send validates against the spec's request schema where the
spec defines one (NOTES.md §14 lists where the spec is wrong; those are the only
exemptions), and every HTTP failure maps to its typed error."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError
from apps.support_plugin.chatwoot.client import ChatwootClient, Connection, PlatformClient
from apps.support_plugin.chatwoot.errors import (
    ChatwootNotFound,
    ChatwootRateLimited,
    ChatwootServerError,
    ChatwootUnauthorized,
    ChatwootUnavailable,
    ChatwootValidationError,
)
from devstack.shared_folder import contracts
from sandboxes.chatwoot import SandboxHandle

from .helpers import ACCOUNT_ID, API_TOKEN, PLATFORM_TOKEN

SWAGGER = contracts("chatwoot", "swagger.json")

# NOTES.md §14: "inbox_id documented as required for contact create; it is optional" and
# "source_id documented as required; optional with inbox_id+contact_id".
SPEC_DRIFT_NOT_REQUIRED = {
    ("post", "/api/v1/accounts/{account_id}/contacts"): {"inbox_id"},
    ("post", "/api/v1/accounts/{account_id}/conversations"): {"source_id"},
}
# NOTES.md §9/§14: dashboard apps are not described in swagger at all.
NOT_IN_SPEC = {"/api/v1/accounts/{account_id}/dashboard_apps"}


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    """These tests need no database or cache."""


@pytest.fixture
def spec() -> dict[str, Any]:
    if not SWAGGER.exists():
        pytest.skip("contracts/chatwoot/swagger.json not available")
    return json.loads(SWAGGER.read_text())


def _template_for(spec: dict[str, Any], method: str, path: str) -> str | None:
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)) + "$"
        if method.lower() in operations and re.match(pattern, path):
            return template
    return None


def _request_schema(spec: dict[str, Any], method: str, template: str) -> dict[str, Any] | None:
    body = spec["paths"][template][method.lower()].get("requestBody")
    if not body:
        return None
    schema = body["content"].get("application/json", {}).get("schema")
    if schema is None:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = json.loads(json.dumps(spec["components"]["schemas"][name]))
    drift = SPEC_DRIFT_NOT_REQUIRED.get((method.lower(), template), set())
    if drift and "required" in schema:
        schema["required"] = [r for r in schema["required"] if r not in drift]
    return schema


def _walk_every_client_method(url: str) -> set[str]:
    """Call every public method of both clients once, in a valid order."""
    called: set[str] = set()
    client = ChatwootClient(Connection(url, API_TOKEN, ACCOUNT_ID))
    platform = PlatformClient(url, PLATFORM_TOKEN)

    def call(target: Any, method: str, /, *args: Any, **kwargs: Any) -> Any:
        called.add(f"{type(target).__name__}.{method}")
        return getattr(target, method)(*args, **kwargs)

    call(client, "profile")
    inbox = call(client, "create_api_inbox", "Contract", "http://127.0.0.1:9/hook")
    call(client, "create_web_widget_inbox", "Weboldal", "https://kgc.example.hu")
    call(client, "list_inboxes")
    call(client, "get_inbox", inbox["id"])
    contact = call(client, "create_contact", {
        "name": "Nagy Eszter", "identifier": "42", "email": "nagy.eszter@example.hu",
        "phone_number": "+36301234567", "custom_attributes": {"kgc_partner_id": 42},
        "additional_attributes": {"company_name": "Példa Bt."},
    })
    call(client, "filter_contacts", [("identifier", "42"), ("email", "nagy.eszter@example.hu"),
                                     ("phone_number", "+36301234567")])
    call(client, "search_contacts", "Nagy")
    call(client, "get_contact", contact["id"])
    call(client, "update_contact", contact["id"], {"name": "Nagy Eszter K.", "email": ""})
    conversation = call(client, "create_conversation", inbox_id=inbox["id"],
                        contact_id=contact["id"], custom_attributes={"kgc_key": "k"},
                        additional_attributes={"source": "erp"})
    call(client, "get_conversation", conversation["id"])
    call(client, "contact_conversations", contact["id"])
    call(client, "create_message", conversation["id"], "Szia!", source_id="kgc:1:x")
    call(client, "create_message", conversation["id"], "Belső", private=True)
    call(client, "list_messages", conversation["id"])
    call(client, "list_messages", conversation["id"], after=1)
    # Teams are made by an admin in Chatwoot (the client only reads and assigns them).
    team = requests.post(f"{url}/api/v1/accounts/{ACCOUNT_ID}/teams", timeout=5,
                         json={"name": "Szerviz"}, headers={"api_access_token": API_TOKEN})
    call(client, "list_teams")
    call(client, "assign_team", conversation["id"], team.json()["id"])
    call(client, "toggle_status", conversation["id"], "open")
    call(client, "create_webhook", "http://127.0.0.1:9/in", ["conversation_created"], name="n")
    call(client, "list_webhooks")
    call(client, "create_dashboard_app", "KGC", "http://127.0.0.1:9/dash")
    call(client, "list_dashboard_apps")
    call(client, "delete_contact", contact["id"])
    account = call(platform, "create_account", "KGC – Teszt",
                   custom_attributes={"kgc_tenant": "t"})
    call(platform, "get_account", account["id"])
    user = call(platform, "create_user", name="Bot", email="bot@example.hu",
                password="Passw0rd!x")
    call(platform, "add_account_user", account["id"], user["id"], "administrator")
    return called


def _public_methods(cls: type) -> set[str]:
    return {f"{cls.__name__}.{name}" for name, member in inspect.getmembers(cls)
            if inspect.isfunction(member) and not name.startswith("_")}


def test_every_client_request_matches_swagger(chatwoot: SandboxHandle, spec: dict) -> None:
    called = _walk_every_client_method(chatwoot.url)
    assert called == _public_methods(ChatwootClient) | _public_methods(PlatformClient)

    log = requests.get(f"{chatwoot.url}/_sandbox/requests", timeout=5).json()["requests"]
    assert log and all(r["status"] == 200 for r in log), [r for r in log if r["status"] != 200]
    registry: Registry = Registry().with_resource(
        "urn:swagger", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    validated = 0
    for record in log:
        template = _template_for(spec, record["method"], record["path"])
        if template is None:
            assert any(re.match("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "(/[^/]+)?$",
                                record["path"]) for p in NOT_IN_SPEC), record["path"]
            continue
        schema = _request_schema(spec, record["method"], template)
        if schema is None or record["body"] is None:
            continue
        schema = {**schema, "components": spec["components"]}
        errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(record["body"]),
                        key=str)
        assert not errors, f"{record['method']} {template}: {[e.message for e in errors]}"
        validated += 1
    assert validated >= 10


@pytest.mark.parametrize(
    ("fault", "error", "base"),
    [
        ({"mode": "500"}, ChatwootServerError, TransientDeliveryError),
        ({"mode": "429", "retry_after": 7}, ChatwootRateLimited, TransientDeliveryError),
    ],
)
def test_faults_map_to_transient_errors(chatwoot: SandboxHandle, fault: dict, error: type,
                                        base: type) -> None:
    requests.post(f"{chatwoot.url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
    client = ChatwootClient(Connection(chatwoot.url, API_TOKEN, ACCOUNT_ID))
    with pytest.raises(error) as caught:
        client.profile()
    assert isinstance(caught.value, base)
    if fault["mode"] == "429":
        assert caught.value.retry_after == 7


def test_timeout_is_transient(chatwoot: SandboxHandle) -> None:
    requests.post(f"{chatwoot.url}/_sandbox/faults", timeout=5,
                  json={"mode": "slow", "delay": 2}).raise_for_status()
    client = ChatwootClient(Connection(chatwoot.url, API_TOKEN, ACCOUNT_ID, timeout=(1, 0.3)))
    with pytest.raises(ChatwootUnavailable) as caught:
        client.profile()
    assert isinstance(caught.value, TransientDeliveryError)


def test_4xx_are_permanent_and_typed(chatwoot: SandboxHandle) -> None:
    client = ChatwootClient(Connection(chatwoot.url, API_TOKEN, ACCOUNT_ID))
    with pytest.raises(ChatwootUnauthorized) as unauthorized:
        ChatwootClient(Connection(chatwoot.url, "wrong", ACCOUNT_ID)).profile()
    assert isinstance(unauthorized.value, PermanentDeliveryError)
    with pytest.raises(ChatwootNotFound):
        client.get_contact(987654)
    client.create_contact({"name": "A", "phone_number": "+36301112222"})
    with pytest.raises(ChatwootValidationError) as taken:
        client.create_contact({"name": "B", "phone_number": "+36301112222"})
    assert taken.value.already_taken and taken.value.attributes == ("phone_number",)
    with pytest.raises(ChatwootValidationError) as invalid:
        client.create_contact({"name": "C", "phone_number": "06 30 111 2222"})
    assert "e164" in invalid.value.message


def test_envelopes_are_unwrapped(chatwoot: SandboxHandle) -> None:
    client = ChatwootClient(Connection(chatwoot.url, API_TOKEN, ACCOUNT_ID))
    created = client.create_contact({"name": "Kovács", "email": "k@example.hu"})
    assert created["email"] == "k@example.hu"  # payload.contact
    assert client.get_contact(created["id"])["id"] == created["id"]  # payload
    inbox = client.create_api_inbox("Értesítések")
    conversation = client.create_conversation(inbox_id=inbox["id"], contact_id=created["id"])
    # display ids are per account and start at 1; URLs use them
    assert conversation["id"] == 1
    assert client.get_conversation(1)["id"] == 1


@pytest.fixture
def chatwoot(chatwoot_server: SandboxHandle) -> Iterator[SandboxHandle]:
    chatwoot_server.reset()
    yield chatwoot_server
    chatwoot_server.reset()


def test_health_check(chatwoot: SandboxHandle) -> None:
    from apps.plugin_manager.status import HealthStatus
    from apps.support_plugin.chatwoot.health import check

    settings = {"chatwoot_api_url": chatwoot.url, "chatwoot_api_key": API_TOKEN,
                "chatwoot_account_id": ACCOUNT_ID}
    assert check(settings).status == HealthStatus.HEALTHY
    assert check({**settings, "chatwoot_api_key": "wrong"}).status == HealthStatus.DOWN
    assert check({**settings, "chatwoot_api_url": ""}).status == HealthStatus.DOWN
    requests.post(f"{chatwoot.url}/_sandbox/faults", json={"mode": "429"},
                  timeout=5).raise_for_status()
    assert check(settings).status == HealthStatus.DEGRADED
