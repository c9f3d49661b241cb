"""Closing a request once every step is finished.

The built-in "eventbus" step runs here, last, so webhooks provoked by the connectors' own
deletions are already stored when the inbox is redacted. Then an access request's ZIP is
assembled and sealed, the identifiers and per-step exports are wiped, and the request is
done. The request row is locked, so two steps finishing at once close it once.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.plugin_manager import crypto

from .execution import execute_step
from .export_zip import build_zip, seal_zip
from .models import EXPORT_VALID_DAYS, SYSTEM_EVENTBUS, PrivacyRequest, PrivacyStep

log = logging.getLogger("privacy.requests")


def _status_from(steps: list[PrivacyStep]) -> str:
    if any(s.status == PrivacyStep.Status.FAILED for s in steps):
        return PrivacyRequest.Status.FAILED
    return PrivacyRequest.Status.IN_PROGRESS


def complete_if_finished(request_id: int) -> PrivacyRequest | None:
    with transaction.atomic():
        request = (PrivacyRequest.objects.select_for_update().select_related("tenant")
                   .filter(pk=request_id).first())
        if request is None or request.status == PrivacyRequest.Status.DONE:
            return request
        steps = list(request.steps.all())
        last = [s for s in steps if s.system == SYSTEM_EVENTBUS]
        others = [s for s in steps if s.system != SYSTEM_EVENTBUS]
        if not all(s.finished for s in others):
            status = _status_from(others)
            if request.status != status:
                request.status = status
                request.save(update_fields=["status"])
            return request
        for step in last:
            if not step.finished:
                step.request = request
                try:
                    with transaction.atomic():
                        execute_step(step, {})
                except Exception:
                    request.status = PrivacyRequest.Status.FAILED
                    request.save(update_fields=["status"])
                    return request
        if request.kind == PrivacyRequest.Kind.ACCESS:
            parts: dict[str, Any] = {}
            for step in steps:
                if step.export_data:
                    parts[step.system] = json.loads(crypto.decrypt(step.export_data))
                else:
                    parts[step.system] = {"status": step.status, "note": step.evidence}
            request.export_file = seal_zip(build_zip(request, steps, parts))
            request.export_expires_at = timezone.now() + timedelta(days=EXPORT_VALID_DAYS)
            request.steps.update(export_data="")
        request.identifiers = ""
        request.status = PrivacyRequest.Status.DONE
        request.completed_at = timezone.now()
        request.save()
        log.info("privacy.request.done request=%s kind=%s", request.pk, request.kind)
        return request


__all__ = ("complete_if_finished",)
