"""The CRM plugin's health check: the selected backend's cheap authenticated call."""

from __future__ import annotations

from collections.abc import Mapping

from apps.plugin_manager.plugins import HealthResult

from .backends import KRAYIN, backend_of


def check(settings: Mapping[str, object]) -> HealthResult:
    if backend_of(settings) == KRAYIN:
        from .krayin.health import check as krayin_check

        return krayin_check(settings)
    from .twenty.health import check as twenty_check

    return twenty_check(settings)


__all__ = ("check",)
