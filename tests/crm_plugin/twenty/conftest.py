"""Fixtures of the Twenty integration tests: the Twenty sandbox on a free port, the CRM
plugin switched on through the plugin manager's services, and the fast event bus with the
session's shared worker (tests/infrastructure)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache

from apps.crm_plugin.rate_limit import forget_buckets
from apps.plugin_manager import services
from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from sandboxes.twenty.server import SandboxHandle, start_sandbox
from tests.infrastructure.processes import WorkerSupervisor

from .helpers import API_KEY, TEST_RATE_LIMIT, WEBHOOK_SECRET, client_for


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float]) -> None:
    """Every test here publishes to the private broker with the fast event-bus settings."""


@pytest.fixture(autouse=True)
def _fresh_buckets() -> None:
    # A "Limit reached" in one test must not make the next one wait for the refill.
    forget_buckets()


@pytest.fixture
def worker(celery_worker: WorkerSupervisor, transactional_db: None) -> WorkerSupervisor:
    """The shared worker, for tests whose commits it must see."""
    cache.clear()
    return celery_worker


# -- the sandbox -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def twenty_server() -> Iterator[SandboxHandle]:
    handle = start_sandbox(api_key=API_KEY, calls_per_minute=TEST_RATE_LIMIT,
                           calls_per_second=TEST_RATE_LIMIT,
                           webhook_allowed_hosts={"127.0.0.1", "localhost"})  # fmt: skip
    yield handle
    handle.stop()


@pytest.fixture
def twenty(twenty_server: SandboxHandle) -> Iterator[SandboxHandle]:
    """An empty workspace (standard objects only) with high limits."""
    twenty_server.sandbox.reset()
    twenty_server.sandbox.limiter.configure(TEST_RATE_LIMIT, TEST_RATE_LIMIT)
    yield twenty_server
    twenty_server.sandbox.faults.clear()


@pytest.fixture
def workspace(twenty: SandboxHandle) -> SandboxHandle:
    """A workspace with our data model, created by our own bootstrap."""
    from apps.crm_plugin.twenty.schema_bootstrap import bootstrap_schema

    with client_for(twenty) as client:
        assert bootstrap_schema(client).ok
    return twenty


@pytest.fixture
def enable_crm(db: None) -> Callable[[SandboxHandle], None]:
    """Switch the CRM plugin on globally, pointed at the sandbox (plugin manager services)."""

    def enable(handle: SandboxHandle) -> None:
        services.update_settings("crm", None, {
            "crm_api_url": handle.url, "crm_api_key": API_KEY,
            "crm_webhook_secret": WEBHOOK_SECRET, "crm_rate_limit_per_minute": TEST_RATE_LIMIT,
        })  # fmt: skip
        services.set_enabled("crm", None, True)

    return enable


