"""Fixtures of the GLPI mirror tests: the GLPI sandbox (and the Chatwoot one) on free
ports, a tenant connected to both through the plugin manager, and the fast event bus with
the session's shared worker (tests/infrastructure)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from apps.plugin_manager.services import set_enabled, update_settings
from kgc_erp.tenants.models import Tenant
from sandboxes.glpi.server import SandboxHandle as GlpiHandle
from sandboxes.glpi.server import start_sandbox
from tests.support_plugin.chatwoot.conftest import (  # noqa: F401 - fixtures reused as is
    _eventbus,
    chatwoot,
    chatwoot_server,
    connected,
    pytest_runtest_makereport,
    store,
    worker,
)

from .helpers import APP_TOKEN, USER_TOKEN


@pytest.fixture(scope="session")
def glpi_server() -> Iterator[GlpiHandle]:
    with start_sandbox(app_token=APP_TOKEN, user_token=USER_TOKEN) as handle:
        yield handle


@pytest.fixture
def glpi(glpi_server: GlpiHandle) -> Iterator[GlpiHandle]:
    glpi_server.reset()
    yield glpi_server
    glpi_server.clear_faults()


def connect_glpi(tenant: Tenant, handle: GlpiHandle, **extra: object) -> None:
    update_settings("glpi", tenant, {"glpi_api_url": handle.url, "glpi_app_token": APP_TOKEN,
                                     "glpi_user_token": USER_TOKEN, **extra})
    set_enabled("glpi", tenant, True)
    cache.clear()


@pytest.fixture
def mirrored(request: pytest.FixtureRequest, glpi: GlpiHandle, live_server: Any) -> Tenant:
    """``connected`` (Chatwoot on, its webhook secret set) with the GLPI mirror on."""
    tenant: Tenant = request.getfixturevalue("connected")
    connect_glpi(tenant, glpi)
    return tenant
