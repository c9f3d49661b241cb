"""Switching takes effect in a running Celery worker without a restart.

A real worker process (its own redis-server as broker, the test database, the same cache
as this process) is started once; between tasks the test switches the alpha plugin
globally and per tenant, changes its settings, and saves partners through the ERP. The
worker's answers (reported to a local HTTP server) and the event-bus deliveries it runs
must follow every change, from the same worker PID.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from apps.plugin_manager.services import set_enabled, update_settings
from kgc_erp.celery import app
from tests.factories import PartnerFactory, TenantFactory
from tests.infrastructure.broker import point_celery_at
from tests.infrastructure.processes import RedisServer

from .helpers import REPO, database_url, subprocess_env
from .recorder import Recorder, start_recorder

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

OBSERVE = "tests.plugin_fixtures.alpha.tasks.observe_runtime"


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker (and back afterwards)."""
    previous = app.conf.broker_url
    point_celery_at(broker_url)
    try:
        yield
    finally:
        point_celery_at(previous)


@contextmanager
def solo_worker(broker_url: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker_url,
        # the same cache (and key prefix) as this process: that is where switches are announced
        CACHE_URL=settings.CACHES["default"]["LOCATION"],
        CACHE_KEY_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", ""),
        EVENTBUS_BACKOFF_BASE_SECONDS="0.1",
    )
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kgc_erp", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"pm-toggle-{os.getpid()}@localhost"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)


@pytest.fixture
def own_broker(redis_factory) -> Iterator[str]:
    """A redis-server of this test's own: its worker must see no other test's messages."""
    server: RedisServer = redis_factory()
    try:
        yield server.url
    finally:
        server.kill()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = start_recorder()
    yield rec
    rec.server.shutdown()


def test_toggles_reach_a_running_worker_without_restart(
    own_broker: str, recorder: Recorder, tmp_path: Path
) -> None:
    franchise_a = TenantFactory(slug="franchise-a")
    franchise_b = TenantFactory(slug="franchise-b")
    update_settings("alpha", None, {"base_url": f"{recorder.url}/alpha",
                                    "api_token": "tok-0123456789abcd"})
    set_enabled("alpha", None, True)
    report_url = f"{recorder.url}/report"
    reports = 0

    def observe(tenant_id: int | None) -> dict:
        nonlocal reports
        reports += 1
        app.send_task(OBSERVE, kwargs={"event_type": "partner.created", "tenant_id": tenant_id,
                                       "report_url": report_url})
        return recorder.wait_for(lambda r: r.path == "/report", count=reports,
                                 timeout=60)[reports - 1].body

    with publishing_to(own_broker), solo_worker(own_broker, tmp_path / "worker.log"):
        try:
            first = observe(franchise_a.pk)  # also waits for the worker to come up
            assert (first["alpha_enabled"], first["subscribers"]) == (True, ["alpha"])
            pid = first["pid"]

            set_enabled("alpha", franchise_b, False)  # franchise B off, A still on
            assert observe(franchise_b.pk)["alpha_enabled"] is False
            assert observe(franchise_a.pk)["subscribers"] == ["alpha"]

            set_enabled("alpha", None, False)  # off globally: A inherits that
            seen = observe(franchise_a.pk)
            assert (seen["alpha_enabled"], seen["subscribers"]) == (False, [])

            set_enabled("alpha", franchise_a, True)  # A alone back on
            update_settings("alpha", franchise_a, {"base_url": f"{recorder.url}/alpha-a"})
            seen = observe(franchise_a.pk)
            assert seen["alpha_enabled"] is True
            assert seen["alpha_settings_url"] == f"{recorder.url}/alpha-a"
            assert observe(franchise_b.pk)["alpha_enabled"] is False

            if apps.is_installed("apps.plugin_manager.eventbus"):
                # The real path: a saved partner -> outbox -> the worker runs alpha's handler.
                in_a = PartnerFactory(tenant=franchise_a)
                PartnerFactory(tenant=franchise_b)
                pushed = recorder.wait_for(lambda r: r.path == "/alpha-a/partners", timeout=60)
                assert pushed[0].body["id"] == in_a.pk
                assert pushed[0].headers["Authorization"] == "Bearer tok-0123456789abcd"
                observe(franchise_b.pk)  # the solo worker has finished everything before it
                time.sleep(0.3)
                assert len(recorder.matching(lambda r: "/partners" in r.path)) == 1

            assert {r.body["pid"] for r in recorder.matching(lambda r: r.path == "/report")} \
                == {pid}
        except BaseException:
            print((tmp_path / "worker.log").read_text(errors="replace")[-5000:])
            raise
