"""Running one step: find its handler, export or erase, store the receipt or the error."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from apps.plugin_manager import crypto

from .builtin_eventbus import _mask, needles
from .handlers import PrivacySubject, load_handler
from .identifiers import unseal
from .models import PrivacyRequest, PrivacyStep
from .systems import handler_path

log = logging.getLogger("privacy.steps")


class UnknownSystem(LookupError):
    """No installed plugin declares a handler for the step's system any more."""


def subject_for(request: PrivacyRequest, settings: Mapping[str, object]) -> PrivacySubject:
    identifiers = unseal(request.identifiers)
    return PrivacySubject(
        tenant=request.tenant, partner_id=request.partner_id, phone=identifiers.phone,
        email=identifiers.email, name=identifiers.name, settings=settings,
        request_id=request.pk,
    )


def execute_step(step: PrivacyStep, settings: Mapping[str, object]) -> None:
    """Run the step's export or erase; on failure record it and re-raise (the event bus
    retries transient errors)."""
    request = step.request
    subject = subject_for(request, settings)
    step.attempts += 1
    try:
        path = handler_path(step.system)
        if path is None:
            raise UnknownSystem(f"no privacy handler for system {step.system!r}")
        handler = load_handler(path)
        if request.kind == PrivacyRequest.Kind.ACCESS:
            data = handler.export(subject)
            text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
            step.export_data = crypto.encrypt(text)
            step.action = PrivacyStep.Action.EXPORTED
            step.evidence = f"export read live: {len(text)} characters of JSON"
            step.external_id = ""
        else:
            receipt = handler.erase(subject)
            step.action = receipt.action
            step.evidence = receipt.evidence
            step.external_id = receipt.external_id
    except Exception as exc:
        # The error text may quote what the system refused (an e-mail in a 422): masked.
        step.status = PrivacyStep.Status.FAILED
        step.last_error = _mask(f"{type(exc).__name__}: {exc}", needles(subject))[:2000]
        step.save(update_fields=["status", "attempts", "last_error", "updated_at"])
        log.warning("privacy.step.failed request=%s system=%s attempt=%s error=%s",
                    request.pk, step.system, step.attempts, type(exc).__name__)
        raise
    step.status = PrivacyStep.Status.DONE
    step.last_error = ""
    step.verified_at = timezone.now()
    step.save()
    log.info("privacy.step.done request=%s system=%s action=%s", request.pk, step.system,
             step.action)


def mark_switched_off(step: PrivacyStep, why: str) -> None:
    step.status = PrivacyStep.Status.SWITCHED_OFF
    step.action = PrivacyStep.Action.SWITCHED_OFF
    step.evidence = why
    step.verified_at = timezone.now()
    step.save()


__all__ = ("UnknownSystem", "execute_step", "mark_switched_off", "subject_for")
