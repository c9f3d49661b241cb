"""Health check of the plugin manager: `{ __typename }` on /graphql with the API key."""

from __future__ import annotations

from collections.abc import Mapping

from apps.plugin_manager.plugins import HealthResult
from apps.plugin_manager.status import HealthStatus

from ..rate_limit import TokenBucket
from .client import TwentyClient
from .config import TwentyConfig
from .errors import TwentyError, TwentyRateLimited


def check(settings: Mapping[str, object]) -> HealthResult:
    try:
        config = TwentyConfig.from_settings(settings)
        # Its own bucket: a health probe never waits behind a running initial sync.
        with TwentyClient(config, bucket=TokenBucket(config.calls_per_minute)) as client:
            latency = client.health()
    except TwentyError as exc:
        if isinstance(exc, TwentyRateLimited):  # reachable and authenticated, just busy
            return HealthResult(HealthStatus.DEGRADED, error=exc.message)
        return HealthResult(HealthStatus.DOWN, error=f"{exc.code or exc.http_status or ''} "
                                                     f"{exc.message}".strip())
    return HealthResult(HealthStatus.HEALTHY, latency_ms=round(latency, 1))


__all__ = ("check",)
