"""Celery tasks of the alpha test plugin."""

from __future__ import annotations

import requests
from celery import shared_task

from apps.plugin_manager import runtime
from apps.plugin_manager.actions import action_run
from kgc_erp.partners.models import Partner

from . import client


@shared_task(name="tests.plugin_fixtures.alpha.tasks.initial_sync")
def initial_sync(*, tenant_id: int | None, run_id: int) -> None:
    """Push every partner of the tenant (all partners for the global scope), with progress."""
    settings = runtime.get_plugin_settings("alpha", tenant_id)
    partners = Partner.objects.order_by("pk")
    if tenant_id is not None:
        partners = partners.filter(tenant_id=tenant_id)
    with action_run(run_id) as run:
        total = partners.count()
        run.progress(0, total)
        for done, partner in enumerate(partners.iterator(), start=1):
            client.push_partner(settings, {"id": partner.pk, "name": partner.name})
            run.progress(done, total, f"{done}/{total} partner elküldve")


@shared_task(name="tests.plugin_fixtures.alpha.tasks.observe_runtime")
def observe_runtime(*, event_type: str, tenant_id: int | None, report_url: str) -> None:
    """What a running worker sees right now; POSTed to the test's local HTTP server.

    The test toggles plugins between calls and asserts this worker process (started once)
    follows every change without a restart.
    """
    import os

    requests.post(
        report_url,
        json={
            "pid": os.getpid(),
            "alpha_enabled": runtime.is_enabled("alpha", tenant_id),
            "subscribers": [p for p, _ in runtime.subscribers_for_event(event_type, tenant_id)],
            "alpha_settings_url": runtime.get_plugin_settings("alpha", tenant_id)["base_url"],
        },
        timeout=5,
    )
