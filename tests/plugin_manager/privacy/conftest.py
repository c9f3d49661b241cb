"""Fixtures of the privacy pipeline tests: the Chatwoot, Twenty, Krayin and GLPI sandboxes
(the fixtures of their own test packages), a store connected to Chatwoot and the CRM, and
with ``every_connector`` to GLPI and the campaigns too; the shared Celery worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from apps.plugin_manager.services import set_enabled, update_settings
from apps.support_plugin.chatwoot.accounts import connect_tenant
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle as ChatwootHandle
from tests.crm_plugin.krayin import conftest as krayin_fixtures
from tests.crm_plugin.twenty import conftest as twenty_fixtures
from tests.factories import TenantFactory
from tests.infrastructure.processes import WorkerSupervisor
from tests.support_plugin.chatwoot import conftest as chatwoot_fixtures
from tests.support_plugin.chatwoot.helpers import (
    ACCOUNT_ID,
    API_TOKEN,
    WEBHOOK_SECRET,
    account_api,
    create_api_inbox,
)
from tests.support_plugin.glpi import conftest as glpi_fixtures

# The sandboxes' own fixtures, shared with their test packages (session-scoped servers).
chatwoot_server = chatwoot_fixtures.chatwoot_server
chatwoot = chatwoot_fixtures.chatwoot
twenty_server = twenty_fixtures.twenty_server
twenty = twenty_fixtures.twenty
workspace = twenty_fixtures.workspace
enable_crm = twenty_fixtures.enable_crm
_fresh_buckets = twenty_fixtures._fresh_buckets
krayin_server = krayin_fixtures.krayin_server
krayin = krayin_fixtures.krayin
enable_krayin = krayin_fixtures.enable_krayin
_fresh_process_state = krayin_fixtures._fresh_process_state
glpi_server = glpi_fixtures.glpi_server
glpi = glpi_fixtures.glpi


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float]) -> None:
    """Every test here publishes to the private broker with the fast event-bus settings."""


@pytest.fixture
def worker(celery_worker: WorkerSupervisor, transactional_db: None) -> Iterator[WorkerSupervisor]:
    cache.clear()
    yield celery_worker
    chatwoot_fixtures._quiesce()


@pytest.fixture
def store(transactional_db: None) -> Tenant:
    return TenantFactory(slug="kgc-szeged", name="KGC Szeged", kind=Tenant.Kind.HEADQUARTERS)


@pytest.fixture
def wired(worker: WorkerSupervisor, store: Tenant, chatwoot: ChatwootHandle, workspace: Any,
          enable_crm: Any, live_server: Any, settings: Any) -> dict[str, Any]:
    """``store`` connected to the Chatwoot sandbox (its webhooks signed into our inbox) and
    the CRM plugin on, pointed at the Twenty sandbox."""
    settings.CRM_SYNC_ON_ENABLE = False
    inbox = create_api_inbox(chatwoot)
    connect_tenant(store, chatwoot.url, API_TOKEN, ACCOUNT_ID, inbox_id=inbox["id"],
                   webhook_secret=WEBHOOK_SECRET)
    url = f"{live_server.url}/webhooks/chatwoot/{store.slug}/"
    hook = account_api(chatwoot, "POST", "/webhooks", json={"webhook": {
        "url": url, "subscriptions": ["contact_created", "contact_updated"],
    }})["payload"]["webhook"]
    update_settings("support", store, {"chatwoot_webhook_secret": hook["secret"]})
    enable_crm(workspace)
    set_enabled("koko", store, True)  # Kokó's privacy step runs too (it holds nothing here)
    cache.clear()
    return {"url": url, "secret": hook["secret"], "chatwoot": chatwoot, "twenty": workspace}


@pytest.fixture(params=["twenty", "krayin"])
def every_connector(request: pytest.FixtureRequest, wired: dict[str, Any], store: Tenant,
                    glpi: Any, krayin: Any, enable_krayin: Any) -> dict[str, Any]:
    """``wired`` plus GLPI, the campaigns and Kokó on for ``store``; the CRM backend of the store
    is Twenty or Krayin (the parameter). The bot API and the inbox are on with Chatwoot."""
    glpi_fixtures.connect_glpi(store, glpi)
    set_enabled("crm_campaigns", store, True)
    set_enabled("koko", store, True)
    backend = request.param
    if backend == "krayin":
        enable_krayin(krayin, tenant=store)
    cache.clear()
    return {**wired, "backend": backend, "glpi": glpi, "krayin": krayin}
