"""Helpers of the Twenty integration tests: the sandbox's credentials, a client for it,
its control endpoints, and the CRM's deliveries."""

from __future__ import annotations

from typing import Any

import requests

from apps.crm_plugin.twenty.client import TwentyClient
from apps.crm_plugin.twenty.config import TwentyConfig
from apps.plugin_manager.eventbus.models import Delivery
from sandboxes.twenty.server import SandboxHandle

API_KEY = "crm-test-api-key"
WEBHOOK_SECRET = "crm-test-webhook-secret"
# High limits: only the rate-limit tests lower them (on the sandbox, per test).
TEST_RATE_LIMIT = 100_000


def client_for(handle: SandboxHandle, calls_per_minute: int = TEST_RATE_LIMIT) -> TwentyClient:
    return TwentyClient(TwentyConfig(handle.url, API_KEY, calls_per_minute=calls_per_minute))


def control(handle: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, f"{handle.url}/_sandbox/{path}", timeout=10, **kwargs)
    response.raise_for_status()
    return response.json() if response.content else None


def rows(handle: SandboxHandle, name: str, *, deleted: bool | None = False) -> list[dict]:
    """Records of an object straight from the sandbox store (deleted=None: all)."""
    records = control(handle, "GET", f"records/{name}")["records"]
    if deleted is None:
        return records
    return [r for r in records if bool(r.get("deletedAt")) == deleted]


def crm_deliveries() -> list[Delivery]:
    return list(Delivery.objects.filter(subscriber="crm").select_related("event").order_by("id"))


def all_crm_deliveries_finished() -> bool:
    deliveries = crm_deliveries()
    return bool(deliveries) and all(d.status in Delivery.FINISHED for d in deliveries)
