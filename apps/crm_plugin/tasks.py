"""Celery autodiscovery looks for `<app>.tasks`: the backends' tasks live in their
packages; the nightly reconciliation, shared by both, is here."""

from __future__ import annotations

import logging

from celery import shared_task

from .backends import KRAYIN, TWENTY
from .krayin.tasks import (  # noqa: F401 - imported to register the tasks
    initial_sync_action as krayin_initial_sync_action,
)
from .krayin.tasks import poll_leads_action, poll_leads_beat, reconcile_action  # noqa: F401
from .krayin.tasks import reconcile_tenant as reconcile_krayin_tenant
from .scopes import enabled_scopes
from .twenty.tasks import (  # noqa: F401 - imported to register the tasks
    bootstrap_and_sync,
    bootstrap_schema_action,
    gdpr_export,
    initial_sync_action,
    reconcile_tenants,
)
from .twenty.tasks import reconcile_action as twenty_reconcile_action  # noqa: F401

log = logging.getLogger("crm_plugin.tasks")


@shared_task(name="crm_plugin.nightly_reconcile", ignore_result=True)
def nightly_reconcile() -> None:
    """Celery beat, nightly: repair the drift of every tenant whose CRM is on (its own
    switch or the global one), per backend: one Twenty run over the Twenty tenants (one
    workspace), one Krayin run per Krayin tenant. A failing backend does not stop the
    other."""
    scopes = enabled_scopes()
    twenty_tenants = [s.tenant.pk for s in scopes if s.backend == TWENTY]
    if twenty_tenants:
        try:
            reconcile_tenants(twenty_tenants)
        except Exception:
            log.exception("twenty reconciliation failed")
    for scope in scopes:
        if scope.backend != KRAYIN:
            continue
        try:
            reconcile_krayin_tenant(scope.tenant)
        except Exception:
            log.exception("krayin reconciliation of %s failed", scope.tenant.slug)


__all__ = ("nightly_reconcile",)
