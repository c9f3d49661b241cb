"""Health check of the GLPI mirror: ``initSession`` + ``getActiveProfile`` on a fresh
session (so it proves the tokens still log in), killed right after."""

from __future__ import annotations

import time
from collections.abc import Mapping

from apps.plugin_manager.health import HealthResult, HealthStatus

from .client import GlpiClient
from .config import from_settings
from .errors import GlpiAuthError, GlpiError
from .sessions import GlpiSession


def check(settings: Mapping[str, object]) -> HealthResult:
    started = time.monotonic()
    session: GlpiSession | None = None
    try:
        session = GlpiSession(from_settings(settings).connection())
        client = GlpiClient(session)
        client.get_active_profile()
    except GlpiAuthError as exc:
        return HealthResult(HealthStatus.DOWN, error=f"GLPI login refused: {exc}")
    except GlpiError as exc:
        return HealthResult(HealthStatus.DOWN, error=str(exc))
    finally:
        if session is not None:
            session.kill()
    return HealthResult(HealthStatus.HEALTHY, (time.monotonic() - started) * 1000)


__all__ = ("check",)
