"""Fixtures of the event bus tests: the gamma test plugin switched on, a recording HTTP
target, a private Redis broker, and a real Celery worker on the test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.plugin_manager import services
from apps.plugin_manager.eventbus import dispatch as enqueue
from apps.plugin_manager.eventbus.inbox import tenants as inbox_tenants
from kgc_erp.tenants.models import Tenant
from tests.factories import TenantFactory

from .processes import CeleryWorker, RedisServer, point_celery_at
from .target import RecordingTarget

# What the worker subprocess runs with: retries in tenths of a second, short leases, and
# a sweeper that takes every due row (the tests call it; beat does in production).
FAST_EVENTBUS_SETTINGS = {
    "EVENTBUS_BACKOFF_BASE_SECONDS": "0.1",
    "EVENTBUS_BACKOFF_MAX_SECONDS": "1",
    "EVENTBUS_LEASE_SECONDS": "3",
    "EVENTBUS_SWEEP_GRACE_SECONDS": "0",
    "EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS": "1",
}


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # pytest keeps the last few of these: the worker logs are there after a failure.
    return tmp_path_factory.mktemp("eventbus")


@pytest.fixture(scope="session")
def private_redis(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir / "redis").start()
    yield server
    server.kill()


@pytest.fixture(autouse=True)
def _private_broker(private_redis: RedisServer) -> None:
    # Every message an event bus test publishes goes to its private Redis. Checked per
    # test: pytest-django runs the transactional tests of all directories after the others,
    # and other suites point Celery at their own brokers in between.
    point_celery_at(private_redis.url)


@pytest.fixture(autouse=True)
def _fresh_enqueue_state(settings: object) -> None:
    enqueue.reset_pause()
    inbox_tenants.forget_all()  # test tenants reuse slugs with new primary keys
    for name, value in FAST_EVENTBUS_SETTINGS.items():
        setattr(settings, name, float(value))


@pytest.fixture
def target() -> Iterator[RecordingTarget]:
    server = RecordingTarget().start()
    yield server
    server.stop()


@pytest.fixture
def tenant(db: None) -> Tenant:
    return TenantFactory(slug="franchise-gyor", name="Győr")


def enable_gamma(target_url: str, **extra: object) -> None:
    """Switch the gamma test plugin on globally, through the plugin manager's services."""
    services.update_settings("gamma", None, {"target_url": target_url, **extra})
    services.set_enabled("gamma", None, True)


@pytest.fixture(scope="session")
def worker_env(private_redis: RedisServer, django_db_setup: None) -> dict[str, str]:
    db = settings.DATABASES["default"]
    # The embedded server is reached through a socket directory given as ?host=...
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    if host.startswith("/"):
        database_url = f"postgres://{db['USER']}{password}@/{db['NAME']}?host={host}"
    else:
        database_url = f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"
    cache_conf = settings.CACHES["default"]
    return {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": private_redis.url,
        # The plugin state snapshot's version key lives in the cache: share the test's.
        "CACHE_URL": cache_conf["LOCATION"],
        "CACHE_KEY_PREFIX": cache_conf.get("KEY_PREFIX", ""),
        **FAST_EVENTBUS_SETTINGS,
    }


class WorkerSupervisor:
    """Keeps one real worker running for the tests that need one; a test may kill it."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.worker: CeleryWorker | None = None

    def ensure(self) -> CeleryWorker:
        if self.worker is None or self.worker.process is None or (
            self.worker.process.poll() is not None
        ):
            self.worker = CeleryWorker(self.env, self.log_dir, concurrency=4).start()
        return self.worker

    def kill(self) -> None:
        if self.worker is not None:
            self.worker.kill()
        self.worker = None

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.worker = None


@pytest.fixture(scope="session")
def supervisor(worker_env: dict[str, str], workdir: Path) -> Iterator[WorkerSupervisor]:
    supervisor = WorkerSupervisor(worker_env, workdir)
    yield supervisor
    supervisor.stop()


@pytest.fixture
def live_worker(
    supervisor: WorkerSupervisor, private_redis: RedisServer, transactional_db: None
) -> WorkerSupervisor:
    """A running worker, for a test whose commits it must see (transactional_db)."""
    if private_redis.process is None:
        private_redis.start()
    supervisor.ensure()
    cache.clear()
    return supervisor


@pytest.fixture
def tenant_tx(transactional_db: None) -> Tenant:
    """A tenant that exists in a transactional test (flushed tables have no headquarters)."""
    return TenantFactory(slug="franchise-szeged", name="Szeged")
