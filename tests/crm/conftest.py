"""Fixtures of the Twenty integration tests: the Twenty sandbox on a free port, a private
Redis broker and a real Celery worker on the test database (the event bus's process
helpers), and the CRM plugin switched on through the plugin manager's services."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.cache import cache

from apps.crm_plugin.twenty.client import TwentyClient
from apps.crm_plugin.twenty.config import TwentyConfig
from apps.crm_plugin.twenty.rate_limit import forget_buckets
from apps.plugin_manager import services
from apps.plugin_manager.eventbus import dispatch as enqueue
from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from sandboxes.twenty.server import SandboxHandle, start_sandbox
from tests.eventbus.processes import CeleryWorker, RedisServer, point_celery_at

API_KEY = "crm-test-api-key"
WEBHOOK_SECRET = "crm-test-webhook-secret"
# High limits: only the rate-limit tests lower them (on the sandbox, per test).
TEST_RATE_LIMIT = 100_000

FAST_EVENTBUS_SETTINGS = {
    "EVENTBUS_BACKOFF_BASE_SECONDS": "0.1",
    "EVENTBUS_BACKOFF_MAX_SECONDS": "1",
    "EVENTBUS_LEASE_SECONDS": "5",
    "EVENTBUS_SWEEP_GRACE_SECONDS": "0",
    "EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS": "1",
}


# -- external processes ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def crm_workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kgc-crm-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def crm_redis(crm_workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(crm_workdir / "redis").start()
    yield server
    server.kill()


@pytest.fixture(autouse=True)
def _crm_broker(crm_redis: RedisServer) -> None:
    # Every message a CRM test publishes goes to the private Redis (checked per test, as
    # other directories' fixtures may have pointed Celery elsewhere meanwhile).
    point_celery_at(crm_redis.url)


@pytest.fixture(autouse=True)
def _fresh_buckets() -> None:
    # A "Limit reached" in one test must not make the next one wait for the refill.
    forget_buckets()


@pytest.fixture(autouse=True)
def _fast_eventbus(settings: Any) -> None:
    enqueue.reset_pause()
    for name, value in FAST_EVENTBUS_SETTINGS.items():
        setattr(settings, name, float(value))


@pytest.fixture(scope="session")
def crm_worker(crm_redis: RedisServer, crm_workdir: Path,
               django_db_setup: None) -> Iterator[CeleryWorker]:  # fmt: skip
    db = settings.DATABASES["default"]
    # DATABASE_URL may carry the socket directory as ?host= (then it is in OPTIONS).
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    cache_conf = settings.CACHES["default"]
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={host}",
        "CELERY_BROKER_URL": crm_redis.url,
        "CACHE_URL": cache_conf["LOCATION"],
        "CACHE_KEY_PREFIX": cache_conf.get("KEY_PREFIX", ""),
        "DB_CONN_MAX_AGE": "0",
        **FAST_EVENTBUS_SETTINGS,
    }
    point_celery_at(crm_redis.url)  # start() pings the worker through our broker
    worker = CeleryWorker(env, crm_workdir, concurrency=4).start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(crm_worker: CeleryWorker, transactional_db: None) -> CeleryWorker:
    """The shared worker, for tests whose commits it must see."""
    cache.clear()
    return crm_worker


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


def client_for(handle: SandboxHandle, calls_per_minute: int = TEST_RATE_LIMIT) -> TwentyClient:
    return TwentyClient(TwentyConfig(handle.url, API_KEY, calls_per_minute=calls_per_minute))


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


# -- sandbox inspection ------------------------------------------------------------------------


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
