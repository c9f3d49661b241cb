"""Fixtures of the Chatwoot integration tests: the Chatwoot sandbox on a free port, a
private Redis broker and a real Celery worker on the test database (the event bus's own
process helpers), and a tenant connected to the sandbox through the plugin manager.

The processes are package-scoped: they start with the first test here and stop after the
last one, so the rest of the suite never publishes to this package's private broker."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.cache import cache

from apps.plugin_manager.eventbus import dispatch as enqueue
from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from apps.plugin_manager.eventbus.inbox import tenants as inbox_tenants
from apps.support_plugin.chatwoot.accounts import connect_tenant
from kgc_erp.celery import app as celery_app
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle, start_sandbox
from tests.eventbus.processes import CeleryWorker, RedisServer, point_celery_at
from tests.factories import TenantFactory

API_TOKEN = "support-test-token"
PLATFORM_TOKEN = "support-test-platform-token"
ACCOUNT_ID = 1
WEBHOOK_SECRET = "support-test-webhook-secret"

FAST_EVENTBUS_SETTINGS = {
    "EVENTBUS_BACKOFF_BASE_SECONDS": "0.1",
    "EVENTBUS_BACKOFF_MAX_SECONDS": "1",
    "EVENTBUS_LEASE_SECONDS": "5",
    "EVENTBUS_SWEEP_GRACE_SECONDS": "0",
    "EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS": "1",
}


# -- external processes ------------------------------------------------------------------------


@pytest.fixture(scope="package")
def support_workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kgc-support-") as path:
        yield Path(path)


@pytest.fixture(scope="package")
def support_redis(support_workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(support_workdir / "redis").start()
    yield server
    server.kill()


@pytest.fixture(scope="package", autouse=True)
def _support_broker(support_redis: RedisServer) -> Iterator[None]:
    previous = celery_app.conf.broker_url
    point_celery_at(support_redis.url)
    yield
    point_celery_at(previous)


@pytest.fixture(autouse=True)
def _fast_eventbus(settings: Any) -> None:
    enqueue.reset_pause()
    # The inbox caches slug -> tenant per process; these tests recreate the same slugs.
    inbox_tenants.forget_all()
    for name, value in FAST_EVENTBUS_SETTINGS.items():
        setattr(settings, name, float(value))


@pytest.fixture(scope="package")
def support_worker(support_redis: RedisServer, support_workdir: Path,
                   django_db_setup: None) -> Iterator[CeleryWorker]:
    db = settings.DATABASES["default"]
    cache_conf = settings.CACHES["default"]
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={host}",
        "CELERY_BROKER_URL": support_redis.url,
        "CACHE_URL": cache_conf["LOCATION"],
        "CACHE_KEY_PREFIX": cache_conf.get("KEY_PREFIX", ""),
        "DB_CONN_MAX_AGE": "0",
        **FAST_EVENTBUS_SETTINGS,
    }
    worker = CeleryWorker(env, support_workdir, concurrency=4).start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(support_worker: CeleryWorker, transactional_db: None,
           request: pytest.FixtureRequest) -> Iterator[CeleryWorker]:
    """The shared worker, for tests whose commits it must see."""
    cache.clear()
    yield support_worker
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print("---- celery worker log ----\n" + support_worker.log_tail(80))
    _quiesce()


def _quiesce(timeout: float = 15.0) -> None:
    """Let the worker finish what the test started (follow-up deliveries, inbound webhooks)
    before the test database is flushed: a TRUNCATE racing a running handler deadlocks."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        soon = timezone.now() + timedelta(seconds=2)
        busy = (Delivery.objects.filter(status="pending", next_attempt_at__lte=soon).exists()
                or InboundDelivery.objects.filter(status="received",
                                                  next_attempt_at__lte=soon).exists())
        if not busy:
            time.sleep(0.2)  # a handler that just finished may still be committing
            return
        time.sleep(0.1)


@pytest.fixture(scope="package")
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


# -- sandbox helpers ---------------------------------------------------------------------------


def sandbox_json(handle: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, handle.url + path, timeout=10, **kwargs)
    response.raise_for_status()
    return response.json() if response.content else None


def api(handle: SandboxHandle, method: str, path: str, token: str = API_TOKEN,
        account_id: int = ACCOUNT_ID, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{handle.url}/api/v1/accounts/{account_id}{path}",
        headers={"api_access_token": token}, timeout=10, **kwargs,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def contacts_in(handle: SandboxHandle, account_id: int = ACCOUNT_ID) -> list[dict[str, Any]]:
    with handle.state.lock:
        return [
            {"id": c.id, "name": c.name, "email": c.email, "phone_number": c.phone_number,
             "identifier": c.identifier, "custom_attributes": dict(c.custom_attributes)}
            for c in handle.state.contacts.values() if c.account_id == account_id
        ]


def messages_in(handle: SandboxHandle, display_id: int,
                account_id: int = ACCOUNT_ID) -> list[dict[str, Any]]:
    with handle.state.lock:
        conversation = handle.state.conversation_by_display_id(account_id, display_id)
        assert conversation is not None
        return [{"id": m.id, "content": m.content, "private": m.private,
                 "source_id": m.source_id, "message_type": m.message_type}
                for m in handle.state.messages_of(conversation.id)]


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def create_api_inbox(handle: SandboxHandle, name: str = "KGC értesítések",
                     webhook_url: str = "") -> dict[str, Any]:
    channel: dict[str, Any] = {"type": "api"}
    if webhook_url:
        channel["webhook_url"] = webhook_url
    return api(handle, "POST", "/inboxes", json={"name": name, "channel": channel})


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
