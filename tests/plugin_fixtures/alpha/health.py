"""Health check of the alpha test plugin: GET <base_url>/health."""

from __future__ import annotations

import time
from collections.abc import Mapping

import requests

from apps.plugin_manager.health import HealthResult, HealthStatus

from . import client


def check(settings: Mapping[str, object]) -> HealthResult:
    started = time.monotonic()
    try:
        body = client.get_health(settings)
    except requests.RequestException as exc:
        return HealthResult(HealthStatus.DOWN, error=str(exc))
    latency_ms = (time.monotonic() - started) * 1000
    if body.get("status") == "degraded":
        return HealthResult(HealthStatus.DEGRADED, latency_ms, str(body.get("reason", "")))
    return HealthResult(HealthStatus.HEALTHY, latency_ms)
