"""Health check of the support plugin: an authenticated ``GET /api/v1/profile``."""

from __future__ import annotations

import time
from collections.abc import Mapping

from apps.plugin_manager.health import HealthResult, HealthStatus

from .config import NotConfigured, from_plugin_settings
from .errors import ChatwootError, ChatwootRateLimited, ChatwootUnauthorized


def check(settings: Mapping[str, object]) -> HealthResult:
    started = time.monotonic()
    try:
        from_plugin_settings(settings).client().profile()
    except NotConfigured as exc:
        return HealthResult(HealthStatus.DOWN, error=str(exc))
    except ChatwootRateLimited as exc:
        # Throttled is not down: deliveries wait for their Retry-After anyway.
        return HealthResult(HealthStatus.DEGRADED, (time.monotonic() - started) * 1000,
                            str(exc))
    except ChatwootUnauthorized as exc:
        return HealthResult(HealthStatus.DOWN, error=f"invalid API key: {exc}")
    except ChatwootError as exc:
        return HealthResult(HealthStatus.DOWN, error=str(exc))
    return HealthResult(HealthStatus.HEALTHY, (time.monotonic() - started) * 1000)


__all__ = ("check",)
