"""Putting a connector step on the event bus: one ``privacy.step_due`` event per step."""

from __future__ import annotations

from apps.plugin_manager.event_types import PRIVACY_STEP_DUE
from apps.plugin_manager.eventbus.outbox.recording import emit_event

from .execution import mark_switched_off
from .models import PrivacyStep


def queue_step(step: PrivacyStep) -> bool:
    """Emit the step's event inside the caller's transaction. Every plugin declaring
    privacy handlers receives it (the runner ignores other plugins' steps); nobody
    receiving it means the step's plugin is off for the tenant: switched_off."""
    step.status = PrivacyStep.Status.PENDING
    step.last_error = ""
    step.save(update_fields=["status", "last_error", "updated_at"])
    event = emit_event(PRIVACY_STEP_DUE, tenant_id=step.request.tenant_id, obj=step)
    if event is None:
        mark_switched_off(step, "plugin switched off for the tenant: nothing sent")
        return False
    return True


__all__ = ("queue_step",)
