"""Reactions of the privacy app: a plugin switched on or off, and the core's seams."""

from __future__ import annotations

import logging

from django.db import transaction

from apps.plugin_manager import runtime
from apps.plugin_manager.signals import plugin_toggled

from .completion import complete_if_finished
from .execution import mark_switched_off
from .models import PrivacyRequest, PrivacyStep
from .queueing import queue_step

log = logging.getLogger("privacy.requests")


def _in_scope(step: PrivacyStep, tenant_id: int | None, plugin_id: str, enabled: bool) -> bool:
    if tenant_id is not None:
        return step.request.tenant_id == tenant_id
    # A global switch: only tenants whose effective state follows it.
    return runtime.is_enabled(plugin_id, step.request.tenant_id) is enabled


def on_plugin_toggled(sender: object, *, plugin_id: str, tenant_id: int | None,
                      enabled: bool, **kwargs: object) -> None:
    """Back on: its switched-off erasure steps are queued, so the copy it kept while off is
    erased now. Off: its pending steps get a switched_off receipt (a delivery to a plugin
    that is off is skipped, so they would wait forever)."""
    wanted = PrivacyStep.Status.SWITCHED_OFF if enabled else PrivacyStep.Status.PENDING
    steps = PrivacyStep.objects.select_related("request").filter(plugin_id=plugin_id,
                                                                 status=wanted)
    if enabled:
        steps = steps.filter(request__kind=PrivacyRequest.Kind.ERASURE)
    touched: set[int] = set()
    for step in steps:
        if not _in_scope(step, tenant_id, plugin_id, enabled):
            continue
        with transaction.atomic():
            if enabled:
                queue_step(step)
            else:
                mark_switched_off(step, f"plugin {plugin_id} switched off while pending")
        touched.add(step.request_id)
    if not enabled:
        for request_id in touched:
            complete_if_finished(request_id)
    if touched:
        log.info("privacy.plugin_toggled plugin=%s enabled=%s requests=%s", plugin_id,
                 enabled, sorted(touched))


def _tombstone_refusal(tenant_id: int, phone: str, email: str) -> str | None:
    from .tombstones import is_tombstoned

    if is_tombstoned(tenant_id, phone=phone, email=email):
        return ("Ezt a telefonszámot vagy e-mail-címet egy adatvédelmi kérelem alapján "
                "töröltük. Csak akkor vegye fel újra, ha a személy maga kéri: jelölje be "
                "az alábbi megerősítést.")
    return None


def _tombstone_release(tenant_id: int, phone: str, email: str, user: object) -> None:
    from .tombstones import active_tombstones, lift

    lift(active_tombstones(tenant_id, phone=phone, email=email),
         user=user,
         reason="A személy kérésére újra felvéve (partner űrlap)")


def connect() -> None:
    from kgc_erp.partners.contact_guards import ContactGuard, register_guard

    plugin_toggled.connect(on_plugin_toggled, dispatch_uid="privacy.plugin_toggled")
    register_guard(ContactGuard("privacy.tombstones", _tombstone_refusal, _tombstone_release))


__all__ = ("connect", "on_plugin_toggled")
