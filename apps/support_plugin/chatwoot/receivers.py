"""The Chatwoot connector's receivers of plugin-manager signals (connected in
``apps.SupportPluginConfig.ready``)."""

from __future__ import annotations

import logging

from django.db import transaction

from kgc_erp.tenants.models import Tenant

from .config import PLUGIN_ID, settings_for

log = logging.getLogger("support_plugin.receivers")


def bootstrap_on_enable(*, plugin_id: str, tenant_id: int | None, enabled: bool,
                        **kwargs: object) -> None:
    """A franchise tenant got support switched on: create its Chatwoot account when a
    Platform API key is configured (the task is idempotent)."""
    if plugin_id != PLUGIN_ID or not enabled or tenant_id is None:
        return
    from .tasks import bootstrap_franchise

    tenant = Tenant.objects.filter(pk=tenant_id, kind=Tenant.Kind.FRANCHISE).first()
    if tenant is None or not settings_for(tenant).platform_token:
        return
    transaction.on_commit(lambda: bootstrap_franchise.delay(tenant_id))
    log.info("chatwoot bootstrap queued for %s", tenant.slug)
