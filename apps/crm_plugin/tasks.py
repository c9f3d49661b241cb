"""Celery autodiscovery looks for `<app>.tasks`: the Twenty tasks live in twenty/tasks.py."""

from .twenty.tasks import (  # noqa: F401 - imported to register the tasks
    bootstrap_and_sync,
    bootstrap_schema_action,
    gdpr_export,
    initial_sync_action,
    nightly_reconcile,
    reconcile_action,
)
