"""Health check of the beta test plugin: GET <endpoint>/ping must answer 200."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from apps.plugin_manager.health import HealthResult, HealthStatus


def check(settings: Mapping[str, object]) -> HealthResult:
    try:
        response = requests.get(f"{settings['endpoint']}/ping",
                                timeout=float(settings["timeout_seconds"]))  # type: ignore[arg-type]
    except requests.RequestException as exc:
        return HealthResult(HealthStatus.DOWN, error=f"{type(exc).__name__}: {exc}")
    if response.status_code >= 500:
        return HealthResult(HealthStatus.DOWN, error=f"HTTP {response.status_code}")
    if response.status_code != 200:
        return HealthResult(HealthStatus.DEGRADED, error=f"HTTP {response.status_code}")
    return HealthResult(HealthStatus.HEALTHY)
