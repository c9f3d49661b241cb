"""Celery tasks of the GLPI mirror (thin: load by id, call the poll)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.plugin_manager.runtime import is_enabled
from kgc_erp.tenants.models import Tenant

from .config import PLUGIN_ID, settings_for
from .models import GlpiPollCursor
from .poll import poll_tenant

log = logging.getLogger("support_plugin.glpi.tasks")


def _due(tenant: Tenant) -> bool:
    """The beat runs every 5 minutes; a tenant's own interval may space its polls out."""
    last = (GlpiPollCursor.objects.filter(tenant=tenant)
            .values_list("last_polled_at", flat=True).first())
    interval = timedelta(minutes=settings_for(tenant).poll_interval_minutes)
    # A minute of slack: a poll that took a while must not skip the next beat.
    return last is None or timezone.now() - last >= interval - timedelta(minutes=1)


def _poll(tenant: Tenant) -> None:
    try:
        result = poll_tenant(tenant)
    except Exception as exc:  # one tenant's GLPI must not stop the others' polls
        log.warning("glpi.poll.failed tenant=%s: %s: %s", tenant.slug, type(exc).__name__, exc)
        GlpiPollCursor.objects.update_or_create(
            tenant=tenant, defaults={"last_error": f"{type(exc).__name__}: {exc}"[:2000]})
        return
    GlpiPollCursor.objects.filter(tenant=tenant).update(last_error="")
    log.info("glpi.poll.done tenant=%s tickets=%s messages=%s notes=%s", tenant.slug,
             result.tickets, result.messages, result.notes)


@shared_task(name="support_glpi.poll_tickets", ignore_result=True)
def poll_tickets(tenant_id: int | None = None, force: bool = False) -> None:
    """Beat job: every tenant with the GLPI mirror on (or one tenant)."""
    tenants = Tenant.objects.filter(pk=tenant_id) if tenant_id else Tenant.objects.all()
    for tenant in tenants.order_by("pk"):
        if is_enabled(PLUGIN_ID, tenant.pk) and (force or _due(tenant)):
            _poll(tenant)


@shared_task(name="support_glpi.poll_tickets_action", ignore_result=True)
def poll_tickets_action(*, tenant_id: int | None, run_id: int) -> None:
    """Plugins page action: read GLPI back now."""
    from apps.plugin_manager.actions import action_run

    with action_run(run_id) as run:
        poll_tickets(tenant_id=tenant_id, force=True)
        run.progress(1, 1, "GLPI jegyek visszaolvasva")


__all__ = ("poll_tickets", "poll_tickets_action")
