"""Health checks: statuses and their transitions, timeouts, DISABLED without a call,
the circuit for the event bus, the periodic schedule."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
import responses
from django.test import override_settings
from django.utils import timezone

from apps.plugin_manager import health, runtime
from apps.plugin_manager.banner import down_plugin_ids
from apps.plugin_manager.models import HealthCheckRecord, PluginState
from apps.plugin_manager.services import set_enabled, update_settings
from apps.plugin_manager.status import HealthStatus
from apps.plugin_manager.tasks import check_plugins_health
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

BASE = "https://alpha.example.test/api"
HEALTH_URL = f"{BASE}/health"


@pytest.fixture
def alpha_on(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        update_settings("alpha", None, {"base_url": BASE, "api_token": "tok-0123456789abcd"})
        set_enabled("alpha", None, True)


def state(tenant=None) -> PluginState:
    return PluginState.objects.get(plugin_id="alpha", tenant=tenant)


def test_disabled_plugin_is_reported_disabled_without_any_call(strict_http) -> None:
    update_settings("alpha", None, {"base_url": BASE, "api_token": "tok-0123456789abcd"})
    result = health.run_health_check("alpha", None)
    assert result.status == HealthStatus.DISABLED
    assert len(strict_http.calls) == 0
    assert state().health_status == HealthStatus.DISABLED


def test_status_transitions_healthy_degraded_down_and_back(alpha_on, strict_http) -> None:
    strict_http.get(HEALTH_URL, json={"status": "ok"})
    result = health.run_health_check("alpha", None)
    assert result.status == HealthStatus.HEALTHY
    assert result.latency_ms is not None and result.latency_ms >= 0
    row = state()
    assert (row.health_status, row.health_last_error) == (HealthStatus.HEALTHY, "")
    assert row.health_checked_at is not None
    # the check sent the (decrypted) secret, as configured
    assert strict_http.calls[0].request.headers["Authorization"] == "Bearer tok-0123456789abcd"

    strict_http.replace(responses.GET, HEALTH_URL, json={"status": "degraded",
                                                         "reason": "lassú adatbázis"})
    assert health.run_health_check("alpha", None).status == HealthStatus.DEGRADED
    assert state().health_last_error == "lassú adatbázis"
    assert runtime.is_circuit_open("alpha", None) is False

    strict_http.replace(responses.GET, HEALTH_URL, status=503)
    result = health.run_health_check("alpha", None)
    assert result.status == HealthStatus.DOWN
    assert "503" in state().health_last_error
    assert runtime.is_circuit_open("alpha", None) is True
    assert down_plugin_ids() == ["alpha"]

    strict_http.replace(responses.GET, HEALTH_URL, json={"status": "ok"})
    assert health.run_health_check("alpha", None).status == HealthStatus.HEALTHY
    assert runtime.is_circuit_open("alpha", None) is False
    assert down_plugin_ids() == []


def test_a_check_that_hangs_times_out_as_down(alpha_on) -> None:
    # A check that ignores its own HTTP timeout: the manager's deadline must still hold.
    def hang(request):
        time.sleep(3)
        return (200, {}, '{"status": "ok"}')

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, HEALTH_URL, callback=hang)
        started = time.monotonic()
        with override_settings(PLUGIN_HEALTH_CHECK_TIMEOUT=0.5):
            result = health.run_health_check("alpha", None)
        elapsed = time.monotonic() - started
    assert result.status == HealthStatus.DOWN
    assert "Időtúllépés" in result.error
    assert elapsed < 2.5
    row = state()
    assert row.health_status == HealthStatus.DOWN
    assert "Időtúllépés" in row.health_last_error
    assert runtime.is_circuit_open("alpha", None) is True


def test_a_connection_timeout_inside_the_check_is_down(alpha_on, strict_http) -> None:
    strict_http.get(HEALTH_URL, body=requests.ConnectTimeout("connect timed out"))
    result = health.run_health_check("alpha", None)
    assert result.status == HealthStatus.DOWN
    assert "connect timed out" in result.error


def test_a_crashing_check_is_down_with_the_error(alpha_on, strict_http) -> None:
    strict_http.get(HEALTH_URL, body="<html>not json</html>")
    result = health.run_health_check("alpha", None)
    assert result.status == HealthStatus.DOWN
    assert "JSONDecodeError" in result.error or "Expecting value" in result.error


def test_tenant_scopes_are_checked_with_their_own_settings(alpha_on, strict_http) -> None:
    franchise = TenantFactory(slug="franchise-a")
    update_settings("alpha", franchise, {"base_url": "https://a.example.test"})
    strict_http.get(HEALTH_URL, json={"status": "ok"})
    strict_http.get("https://a.example.test/health", status=500)
    results = {(r.plugin_id, r.tenant_id): r.result.status for r in health.check_all("alpha")}
    assert results == {("alpha", None): HealthStatus.HEALTHY,
                       ("alpha", franchise.pk): HealthStatus.DOWN}
    assert runtime.is_circuit_open("alpha", franchise.pk) is True
    assert runtime.is_circuit_open("alpha", None) is False
    # another franchise without its own row follows the global check
    other = TenantFactory(slug="franchise-b")
    assert runtime.is_circuit_open("alpha", other.pk) is False


def test_the_periodic_task_checks_every_plugin(alpha_on, strict_http) -> None:
    strict_http.get(HEALTH_URL, json={"status": "ok"})
    counts = check_plugins_health()
    # alpha healthy; beta switched off; support/crm off by default in the test env
    assert counts[HealthStatus.HEALTHY] == 1
    assert counts[HealthStatus.DISABLED] >= 1
    assert len(strict_http.calls) == 1


def test_every_check_is_kept_in_the_history_for_thirty_days(alpha_on, strict_http) -> None:
    strict_http.get(HEALTH_URL, json={"status": "ok"})
    health.run_health_check("alpha", None)
    strict_http.replace(responses.GET, HEALTH_URL, status=503)
    health.run_health_check("alpha", None)
    health.run_health_check("beta", None)  # switched off: nothing checked, nothing kept
    history = list(HealthCheckRecord.objects.order_by("id"))
    assert [(r.plugin_id, r.status) for r in history] == [
        ("alpha", HealthStatus.HEALTHY), ("alpha", HealthStatus.DOWN)]  # fmt: skip
    assert "503" in history[1].error and history[0].latency_ms is not None

    HealthCheckRecord.objects.filter(pk=history[0].pk).update(
        checked_at=timezone.now() - dt.timedelta(days=31))  # fmt: skip
    strict_http.replace(responses.GET, HEALTH_URL, json={"status": "ok"})
    check_plugins_health("alpha")  # the periodic round prunes as it goes
    kept = list(HealthCheckRecord.objects.order_by("id").values_list("status", flat=True))
    assert kept == [HealthStatus.DOWN, HealthStatus.HEALTHY]


def test_health_is_scheduled_every_five_minutes_in_beat() -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="plugin_manager.check_plugins_health")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")


def test_an_unchanged_status_does_not_invalidate_every_process_snapshot(
    alpha_on, strict_http, django_capture_on_commit_callbacks
) -> None:
    from django.core.cache import cache

    from apps.plugin_manager.snapshot import VERSION_KEY

    strict_http.get(HEALTH_URL, json={"status": "ok"})
    with django_capture_on_commit_callbacks(execute=True):
        health.run_health_check("alpha", None)
    version = cache.get(VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        health.run_health_check("alpha", None)
    assert cache.get(VERSION_KEY) == version
    assert state().health_checked_at is not None
