"""Health check of the plugin manager: `GET /get` with the shared token."""

from __future__ import annotations

from collections.abc import Mapping

from apps.plugin_manager.plugins import HealthResult
from apps.plugin_manager.status import HealthStatus

from ..rate_limit import TokenBucket
from .client import KrayinClient
from .config import KrayinConfig
from .errors import KrayinError, KrayinRateLimited


def check(settings: Mapping[str, object]) -> HealthResult:
    try:
        config = KrayinConfig.from_settings(settings)
        # Its own bucket: a health probe never waits behind a running initial sync.
        with KrayinClient(config, bucket=TokenBucket(config.calls_per_minute)) as client:
            latency = client.health()
    except KrayinError as exc:
        if isinstance(exc, KrayinRateLimited):  # reachable and authenticated, just busy
            return HealthResult(HealthStatus.DEGRADED, error=exc.message)
        return HealthResult(HealthStatus.DOWN, error=exc.message)
    return HealthResult(HealthStatus.HEALTHY, latency_ms=round(latency, 1))


__all__ = ("check",)
