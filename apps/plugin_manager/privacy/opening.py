"""Opening a data-subject request: the request, one step per system, tombstones, and the
ERP's own part at once.

Choice: the built-in "erp" step runs inside the opening transaction (the anonymisation is
one UPDATE and must not wait for a worker; its receipt is recorded like any step), the
built-in "eventbus" step runs last, when every other step is finished (completion.py).
Connector steps are event-bus deliveries (queueing.py), committed with the request.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.plugin_manager import runtime
from kgc_erp.partners.models import Partner

from .completion import complete_if_finished
from .execution import execute_step, mark_switched_off
from .identifiers import Identifiers, seal
from .models import SYSTEM_ERP, PrivacyRequest, PrivacyStep
from .queueing import queue_step
from .systems import all_systems
from .tombstones import normalised_email, normalised_phone, write_tombstones

log = logging.getLogger("privacy.requests")


class AlreadyOpen(Exception):
    """An erasure of this partner is already running."""

    def __init__(self, request: PrivacyRequest) -> None:
        super().__init__(f"privacy request #{request.pk} is already open")
        self.request = request


def open_request(
    partner: Partner,
    kind: str,
    *,
    requested_by: str,
    channel: str,
    received_at: datetime | None = None,
    user: AbstractBaseUser | None = None,
) -> PrivacyRequest:
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if kind == PrivacyRequest.Kind.ERASURE:
            running = PrivacyRequest.objects.filter(
                partner=partner, kind=kind,
                status__in=(PrivacyRequest.Status.OPEN, PrivacyRequest.Status.IN_PROGRESS),
            ).first()
            if running is not None:
                raise AlreadyOpen(running)
        phone, email = normalised_phone(partner.phone), normalised_email(partner.email)
        request = PrivacyRequest.objects.create(
            tenant_id=partner.tenant_id, partner=partner, kind=kind,
            requested_by=requested_by[:200], channel=channel,
            received_at=received_at or timezone.now(),
            created_by_id=user.pk if user is not None and user.pk else None,
            status=PrivacyRequest.Status.IN_PROGRESS,
            identifiers=seal(Identifiers(phone=phone, email=email, name=partner.name)),
        )
        if kind == PrivacyRequest.Kind.ERASURE:
            # Before the anonymisation below: afterwards the values are gone.
            write_tombstones(request, phone=phone, email=email)
        steps = [
            (PrivacyStep.objects.create(request=request, system=s.name, plugin_id=s.plugin_id),
             s.plugin_id)
            for s in all_systems()
        ]
        for step, plugin_id in steps:
            step.request = request
            if step.system == SYSTEM_ERP:
                execute_step(step, {})
            elif plugin_id and not runtime.is_enabled(plugin_id, request.tenant_id):
                mark_switched_off(step, f"plugin {plugin_id} switched off for the tenant "
                                        "at opening")
            elif plugin_id:
                queue_step(step)
        log.info("privacy.request.opened request=%s kind=%s tenant=%s", request.pk, kind,
                 request.tenant_id)
    # Nothing queued (every plugin off): the request closes at once.
    return complete_if_finished(request.pk) or request


__all__ = ("AlreadyOpen", "open_request")
