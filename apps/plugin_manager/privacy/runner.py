"""The generic event-bus handler of every plugin's privacy steps.

The registry subscribes each plugin that declares ``privacy_handlers`` to
``privacy.step_due`` with ``run_step``. The event's object is the step; every such plugin
receives every step event, and a plugin runs only its own steps (the others' deliveries
succeed without doing anything). A finished step is never run twice.
"""

from __future__ import annotations

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext

from .completion import complete_if_finished
from .execution import execute_step
from .models import PrivacyStep


def run_step(context: DeliveryContext) -> None:
    step = (PrivacyStep.objects.select_related("request", "request__tenant")
            .filter(pk=context.object_id).first())
    if step is None or step.plugin_id != context.plugin_id:
        return
    # Defensive: a step only ever acts for its own request's tenant.
    if step.request.tenant_id != context.tenant.pk or step.finished:
        return
    execute_step(step, context.settings)
    complete_if_finished(step.request_id)


__all__ = ("run_step",)
