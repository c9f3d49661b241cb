"""Health checks: run a plugin's `check(settings) -> HealthResult` with a deadline and keep
the outcome on the scope's state row.

A disabled scope is reported DISABLED without calling anything. A check that raises or
does not answer within the deadline is DOWN with the error. DOWN opens the circuit for the
event bus (deliveries wait) and shows a warning in the admin; it never blocks the ERP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import HealthCheckRecord, PluginState
from .plugins import HealthResult
from .registry import get_plugin, installed_plugins
from .runtime import get_plugin_settings, is_enabled
from .status import HealthStatus

log = logging.getLogger("plugin_manager.health")

DEFAULT_TIMEOUT_SECONDS = 10.0
# Health history (HealthCheckRecord) older than this is deleted by `prune_history`.
HEALTH_HISTORY_DAYS = 30


@dataclass(frozen=True)
class ScopeHealth:
    plugin_id: str
    tenant_id: int | None
    result: HealthResult


def check_timeout() -> float:
    return float(getattr(django_settings, "PLUGIN_HEALTH_CHECK_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))


def _call_with_deadline(
    check: Callable[[Mapping[str, object]], HealthResult],
    settings: Mapping[str, object],
    timeout: float,
) -> HealthResult:
    """Run the check in a daemon thread and stop waiting after `timeout` seconds.

    The check's own HTTP timeouts should fire first; the deadline is the backstop for a
    check that hangs anyway (DNS, a stuck socket, a forgotten timeout). A timed-out thread
    is abandoned, not killed: Python cannot kill threads, and it holds no locks of ours.
    """
    outcome: list[HealthResult | BaseException] = []

    def target() -> None:
        try:
            outcome.append(check(settings))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            close_old_connections()

    worker = threading.Thread(target=target, name="plugin-health-check", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout)
    elapsed_ms = (time.monotonic() - started) * 1000
    if worker.is_alive() or not outcome:
        return HealthResult(HealthStatus.DOWN, elapsed_ms,
                            f"Időtúllépés: nincs válasz {timeout:g} másodpercen belül.")
    result = outcome[0]
    if isinstance(result, BaseException):
        return HealthResult(HealthStatus.DOWN, elapsed_ms, f"{type(result).__name__}: {result}")
    if not isinstance(result, HealthResult) or result.status not in HealthStatus.values:
        return HealthResult(HealthStatus.DOWN, elapsed_ms,
                            f"Érvénytelen ellenőrzési eredmény: {result!r}")
    if result.latency_ms is None:
        result = HealthResult(result.status, elapsed_ms, result.error)
    return result


def evaluate(
    plugin_id: str, tenant_id: int | None, *, force: bool = False, timeout: float | None = None
) -> HealthResult:
    """The health of one scope right now, without recording it.

    `force` runs the check even for a disabled scope: the admin's "test connection" is an
    explicit request to call the outside system, e.g. before switching a plugin on.
    """
    plugin = get_plugin(plugin_id)
    if not force and not is_enabled(plugin_id, tenant_id):
        return HealthResult(HealthStatus.DISABLED)
    if not plugin.health_check:
        return HealthResult(HealthStatus.UNKNOWN, error="A bővítménynek nincs állapotellenőrzése.")
    check = import_string(plugin.health_check)
    settings = get_plugin_settings(plugin_id, tenant_id)
    return _call_with_deadline(check, settings, check_timeout() if timeout is None else timeout)


def record(plugin_id: str, tenant_id: int | None, result: HealthResult) -> PluginState:
    """Store a result on the scope's row. Only a status change bumps the state version,
    so the periodic check does not make every process reload its snapshot."""
    state, _ = PluginState.objects.get_or_create(plugin_id=plugin_id, tenant_id=tenant_id)
    previous = state.health_status
    state.health_status = result.status
    state.health_latency_ms = result.latency_ms
    state.health_last_error = result.error[:2000]
    state.health_checked_at = timezone.now()
    if result.status != HealthStatus.DISABLED:
        # A switched-off scope was not checked at all: recording it every 5 minutes would
        # only fill the history with rows that say nothing about the outside system.
        HealthCheckRecord.objects.create(
            plugin_id=plugin_id, tenant_id=tenant_id, status=result.status,
            latency_ms=result.latency_ms, error=state.health_last_error,
            checked_at=state.health_checked_at,
        )  # fmt: skip
    fields = ["health_status", "health_latency_ms", "health_last_error", "health_checked_at"]
    if previous != result.status:
        state.save(update_fields=[*fields, "updated_at"])
        level = logging.WARNING if result.status == HealthStatus.DOWN else logging.INFO
        log.log(level, "plugin %s (tenant %s) health %s -> %s %s", plugin_id, tenant_id,
                previous, result.status, result.error)
    else:
        PluginState.objects.filter(pk=state.pk).update(**{f: getattr(state, f) for f in fields})
    return state


def run_health_check(
    plugin_id: str, tenant_id: int | None, *, timeout: float | None = None
) -> HealthResult:
    """Check one scope and record the result (the periodic task and the command use this)."""
    result = evaluate(plugin_id, tenant_id, timeout=timeout)
    record(plugin_id, tenant_id, result)
    return result


def prune_history(days: float = HEALTH_HISTORY_DAYS) -> int:
    """Delete recorded checks older than `days` days (the periodic check calls this)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = HealthCheckRecord.objects.filter(checked_at__lt=cutoff).delete()
    return deleted


def scopes_to_check(plugin_id: str) -> list[int | None]:
    """The global scope plus every tenant with its own row (own switch or own settings);
    tenants without a row run with the global settings, so the global check covers them."""
    tenant_ids = (
        PluginState.objects.filter(plugin_id=plugin_id, tenant__isnull=False)
        .order_by("tenant_id")
        .values_list("tenant_id", flat=True)
    )
    return [None, *tenant_ids]


def check_all(plugin_id: str | None = None) -> list[ScopeHealth]:
    plugins = [get_plugin(plugin_id)] if plugin_id else installed_plugins()
    results = []
    for plugin in plugins:
        for tenant_id in scopes_to_check(plugin.plugin_id):
            result = run_health_check(plugin.plugin_id, tenant_id)
            results.append(ScopeHealth(plugin.plugin_id, tenant_id, result))
    return results


__all__ = (
    "HealthResult",
    "HealthStatus",
    "ScopeHealth",
    "check_all",
    "evaluate",
    "prune_history",
    "record",
    "run_health_check",
    "scopes_to_check",
)
