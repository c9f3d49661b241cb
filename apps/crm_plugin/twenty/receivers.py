"""Switching the plugin on (globally) bootstraps the Twenty schema and starts the initial
sync, as a Celery task: the admin request must not wait for ~10 minutes of API calls."""

from __future__ import annotations

import logging

from django.conf import settings

from .config import PLUGIN_ID

log = logging.getLogger("crm_plugin.twenty.receivers")


def bootstrap_on_enable(
    sender: object, *, plugin_id: str, tenant_id: int | None, enabled: bool, **kwargs: object
) -> None:
    # Twenty is one workspace for the whole company: only the global switch starts a sync.
    if plugin_id != PLUGIN_ID or not enabled or tenant_id is not None:
        return
    # CRM_SYNC_ON_ENABLE=False leaves both to the admin actions / commands (tests, or an
    # operator who wants to bootstrap first and sync at night).
    if not getattr(settings, "CRM_SYNC_ON_ENABLE", True):
        return
    from .tasks import bootstrap_and_sync

    try:
        bootstrap_and_sync.delay()
    except Exception:  # the broker being down must not break the admin's toggle
        log.exception("could not queue the Twenty bootstrap; run crm_bootstrap_schema")


__all__ = ("bootstrap_on_enable",)
