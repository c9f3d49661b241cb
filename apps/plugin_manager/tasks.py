"""Celery tasks of the plugin manager (thin: they call health.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from . import health
from .setup_steps import run_setup_step  # noqa: F401 - registers the setup-step task

log = logging.getLogger("plugin_manager.tasks")


@shared_task(name="plugin_manager.check_plugins_health", ignore_result=True)
def check_plugins_health(plugin_id: str | None = None) -> dict[str, int]:
    """Scheduled every 5 minutes by beat (see migration 0002); also callable on demand."""
    results = health.check_all(plugin_id)
    # Every round also drops the history past its retention, so it never grows unbounded.
    health.prune_history()
    counts: dict[str, int] = {}
    for scope in results:
        counts[scope.result.status] = counts.get(scope.result.status, 0) + 1
    log.info("plugin health checked: %s", counts)
    return counts
