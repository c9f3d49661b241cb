"""Fixtures of the Krayin integration tests: the Krayin sandbox on a free port (no server
throttle unless a test asks), the CRM plugin switched on with the Krayin backend through
the plugin manager's services, and the fast event bus with the session's shared worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache

from apps.crm_plugin.krayin.leads import forget_setups
from apps.crm_plugin.rate_limit import forget_buckets
from apps.plugin_manager import services
from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from kgc_erp.tenants.models import Tenant
from sandboxes.krayin.server import SandboxHandle, start_sandbox
from tests.infrastructure.processes import WorkerSupervisor

from .helpers import EMAIL, PASSWORD, TEST_RATE_LIMIT, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float]) -> None:
    """Every test here publishes to the private broker with the fast event-bus settings."""


@pytest.fixture(autouse=True)
def _fresh_process_state() -> None:
    forget_buckets()
    forget_setups()


@pytest.fixture
def worker(celery_worker: WorkerSupervisor, transactional_db: None) -> WorkerSupervisor:
    """The shared worker, for tests whose commits it must see."""
    cache.clear()
    return celery_worker


@pytest.fixture(scope="session")
def krayin_server() -> Iterator[SandboxHandle]:
    handle = start_sandbox(email=EMAIL, password=PASSWORD, rate_limit=0)
    yield handle
    handle.stop()


@pytest.fixture
def krayin(krayin_server: SandboxHandle) -> Iterator[SandboxHandle]:
    """A fresh Krayin install (seed data only), production error rendering, no throttle."""
    krayin_server.reset()
    cache.clear()
    yield krayin_server
    krayin_server.sandbox.faults.clear()


Enable = Callable[..., None]


@pytest.fixture
def enable_krayin(db: None) -> Enable:
    """Switch the CRM plugin on, pointed at the sandbox with the Krayin backend: globally,
    or for one tenant only (`tenant=`)."""

    def enable(handle: SandboxHandle, tenant: Tenant | None = None) -> None:
        services.update_settings("crm", tenant, {
            "crm_backend": "krayin", "krayin_api_url": handle.api_url, "krayin_email": EMAIL,
            "krayin_password": PASSWORD, "krayin_webhook_secret": WEBHOOK_SECRET,
            "krayin_rate_limit_per_minute": TEST_RATE_LIMIT,
        })  # fmt: skip
        services.set_enabled("crm", tenant, True)

    return enable
