"""Fixtures of the Chatwoot integration tests: the Chatwoot sandbox on a free port, a
tenant connected to it through the plugin manager, and the fast event bus with the
session's shared worker (tests/infrastructure)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache

from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from apps.support_plugin.chatwoot.accounts import connect_tenant
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle, start_sandbox
from tests.factories import TenantFactory
from tests.infrastructure.processes import WorkerSupervisor
from tests.infrastructure.waiting import WaitTimeout, wait_for

from .helpers import ACCOUNT_ID, API_TOKEN, PLATFORM_TOKEN, WEBHOOK_SECRET, create_api_inbox


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float]) -> None:
    """Every test here publishes to the private broker with the fast event-bus settings."""


@pytest.fixture
def worker(celery_worker: WorkerSupervisor, transactional_db: None,
           request: pytest.FixtureRequest) -> Iterator[WorkerSupervisor]:
    """The shared worker, for tests whose commits it must see."""
    cache.clear()
    yield celery_worker
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print("---- celery worker log ----\n" + celery_worker.log_tail(80))
    _quiesce()


def _quiesce(timeout: float = 15.0) -> None:
    """Let the worker finish what the test started (follow-up deliveries, inbound webhooks)
    before the test database is flushed: a TRUNCATE racing a running handler deadlocks."""
    from django.utils import timezone

    from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery

    def idle() -> bool:
        soon = timezone.now() + timedelta(seconds=2)
        return not (
            Delivery.objects.filter(status="pending", next_attempt_at__lte=soon).exists()
            or InboundDelivery.objects.filter(status="received",
                                              next_attempt_at__lte=soon).exists()
        )

    try:
        wait_for(idle, timeout=timeout, interval=0.1, message="the worker to go idle")
    except WaitTimeout:
        return  # still busy: the flush goes ahead as before
    time.sleep(0.2)  # a handler that just finished may still be committing


@pytest.fixture(scope="session")
def chatwoot_server() -> Iterator[SandboxHandle]:
    with start_sandbox(api_token=API_TOKEN, platform_token=PLATFORM_TOKEN,
                       account_id=ACCOUNT_ID, webhook_timeout=3.0) as handle:
        yield handle


@pytest.fixture
def chatwoot(chatwoot_server: SandboxHandle) -> Iterator[SandboxHandle]:
    chatwoot_server.reset()
    yield chatwoot_server
    chatwoot_server.reset()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# -- tenants -----------------------------------------------------------------------------------


@pytest.fixture
def store(db: None) -> Tenant:
    return TenantFactory(slug="kgc-szeged", name="KGC Szeged", kind=Tenant.Kind.HEADQUARTERS)


@pytest.fixture
def connected(store: Tenant, chatwoot: SandboxHandle) -> Tenant:
    """``store`` pointed at the sandbox's account with a notification inbox, plugin on."""
    inbox = create_api_inbox(chatwoot)
    connect_tenant(store, chatwoot.url, API_TOKEN, ACCOUNT_ID, inbox_id=inbox["id"],
                   webhook_secret=WEBHOOK_SECRET)
    cache.clear()
    return store
