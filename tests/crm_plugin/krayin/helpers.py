"""Helpers of the Krayin integration tests: the sandbox's credentials, a client for it,
its control endpoints and store, and the CRM's deliveries."""

from __future__ import annotations

from typing import Any

import requests

from apps.crm_plugin.krayin.client import KrayinClient
from apps.crm_plugin.krayin.config import KrayinConfig
from apps.crm_plugin.krayin.mappers import marker_email
from apps.plugin_manager.eventbus.models import Delivery
from sandboxes.krayin.server import SandboxHandle

EMAIL = "api@kgc.example"
PASSWORD = "krayin-test-password"
WEBHOOK_SECRET = "krayin-test-webhook-secret"
# No client-side throttle in tests (the sandbox runs with rate_limit=0 unless a test sets it).
TEST_RATE_LIMIT = 100_000


def config_for(handle: SandboxHandle, calls_per_minute: int = TEST_RATE_LIMIT) -> KrayinConfig:
    return KrayinConfig(handle.api_url, EMAIL, PASSWORD, calls_per_minute=calls_per_minute)


def client_for(handle: SandboxHandle, calls_per_minute: int = TEST_RATE_LIMIT) -> KrayinClient:
    return KrayinClient(config_for(handle, calls_per_minute))


def control(handle: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, f"{handle.url}/_sandbox/{path}", timeout=10, **kwargs)
    response.raise_for_status()
    return response.json() if response.content else None


def state(handle: SandboxHandle) -> dict[str, Any]:
    result: dict[str, Any] = control(handle, "GET", "state")
    return result


def api(handle: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    """A call as another Krayin user would make it (the salesperson, user 2), so our API
    user's token is never revoked by the test itself."""
    token = requests.post(f"{handle.api_url}/login", json={
        "email": "sales@example.com", "password": "sales-secret", "device_name": "test"},
        headers={"Accept": "application/json"}, timeout=10).json()["token"]  # fmt: skip
    response = requests.request(method, f"{handle.api_url}/{path}", timeout=10,
                                headers=handle.headers(token), **kwargs)  # fmt: skip
    response.raise_for_status()
    return response.json()


def persons(handle: SandboxHandle) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api(handle, "GET", "contacts/persons",
                                     params={"pagination": 0})["data"]
    return rows


def person_of(handle: SandboxHandle, partner_pk: int) -> dict[str, Any] | None:
    marker = marker_email(partner_pk)
    return next((p for p in persons(handle)
                 if any(e["value"] == marker for e in p["emails"])), None)  # fmt: skip


def activities_of(handle: SandboxHandle, person_id: int) -> list[dict[str, Any]]:
    rows = api(handle, "GET", f"contacts/persons/{person_id}/activities")["data"]
    return [a for a in rows if a["type"] != "system"]


def leads(handle: SandboxHandle) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api(handle, "GET", "leads", params={"pagination": 0})["data"]
    return rows


def crm_deliveries() -> list[Delivery]:
    return list(Delivery.objects.filter(subscriber="crm").select_related("event").order_by("id"))


def all_crm_deliveries_finished() -> bool:
    deliveries = crm_deliveries()
    return bool(deliveries) and all(d.status in Delivery.FINISHED for d in deliveries)
