"""Plugin actions ("initial sync" ...): started from the admin or shell as Celery tasks,
with progress recorded on a PluginActionRun row the admin page polls.

A plugin's action task receives `tenant_id` and `run_id` and wraps its work in
`action_run(run_id)`:

    @shared_task(name="crm.initial_sync")
    def initial_sync(*, tenant_id: int | None, run_id: int) -> None:
        with action_run(run_id) as run:
            for done, partner in enumerate(partners, 1):
                ...
                run.progress(done, total)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celery import Task, current_app
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kgc_erp.tenants.models import Tenant

from .models import PluginActionRun, PluginToggleAudit
from .plugins import AdminAction, PluginAction
from .registry import get_plugin
from .runtime import is_enabled
from .services import audit

log = logging.getLogger("plugin_manager.actions")


def find_action(plugin_id: str, name: str) -> PluginAction | AdminAction:
    plugin = get_plugin(plugin_id)
    candidates: list[PluginAction | AdminAction] = [*plugin.actions, *plugin.admin_actions]
    for action in candidates:
        if action.name == name:
            return action
    raise ValidationError({"action": [f"Ismeretlen művelet: {name}."]})


def action_label(plugin_id: str, name: str) -> str:
    """The Hungarian label of an action run's action (its name if the plugin is gone)."""
    try:
        return find_action(plugin_id, name).label
    except (ValidationError, LookupError):
        return name


def start_action(
    plugin_id: str,
    tenant: Tenant | None,
    name: str,
    *,
    user: User | None = None,
    parameters: dict[str, object] | None = None,
) -> PluginActionRun:
    """Record a run and enqueue the plugin's task once the row is committed.

    Refused for a disabled scope: an action talks to the outside system, and a disabled
    plugin must make no outbound calls.
    """
    action = find_action(plugin_id, name)
    tenant_id = tenant.pk if tenant is not None else None
    if not is_enabled(plugin_id, tenant_id):
        raise ValidationError(
            {"action": ["A bővítmény ki van kapcsolva ennél a hatókörnél; előbb kapcsolja be."]}
        )
    with transaction.atomic():
        run = PluginActionRun.objects.create(
            plugin_id=plugin_id,
            tenant=tenant,
            action=action.name,
            parameters=parameters or {},
            started_by=user if user is not None and user.is_authenticated else None,
        )
        audit(plugin_id, tenant, PluginToggleAudit.Action.ACTION, user=user,
              details={"action": action.name, "run_id": run.pk})
        transaction.on_commit(lambda: _enqueue(action, tenant_id, run.pk, parameters))
    return run


def _importable_task(name: str) -> Task | None:
    """The task object when `name` is also its import path (tasks named after their module
    are registered only once that module is imported, which a web process may not have)."""
    try:
        candidate = import_string(name)
    except ImportError:
        return None
    return candidate if isinstance(candidate, Task) else None


def _enqueue(action: PluginAction | AdminAction, tenant_id: int | None, run_id: int,
             parameters: dict[str, object] | None = None) -> None:
    kwargs: dict[str, object] = {"tenant_id": tenant_id, "run_id": run_id, **(parameters or {})}
    try:
        # A task registered in this process is called through its object (so routing and
        # eager mode apply); otherwise by name, for tasks living only on the workers.
        task = current_app.tasks.get(action.task) or _importable_task(action.task)
        if task is not None:
            task.apply_async(kwargs=kwargs)
        else:
            current_app.send_task(action.task, kwargs=kwargs)
    except Exception as exc:  # kombu raises transport-specific errors when the broker is down
        log.warning("could not enqueue action %s run %s: %s", action.name, run_id, exc)
        PluginActionRun.objects.filter(pk=run_id).update(
            status=PluginActionRun.Status.FAILED,
            message=f"Nem sikerült elindítani (üzenetsor nem elérhető): {exc}",
            finished_at=timezone.now(),
        )


@dataclass
class RunReporter:
    run_id: int

    def result(self, value: object) -> None:
        """Keep a small JSON result on the run for its starter to download."""
        PluginActionRun.objects.filter(pk=self.run_id).update(result=value)

    def progress(self, current: int, total: int | None = None, message: str = "") -> None:
        fields: dict[str, object] = {"progress_current": current}
        if total is not None:
            fields["progress_total"] = total
        if message:
            fields["message"] = message
        PluginActionRun.objects.filter(pk=self.run_id).update(**fields)


@contextmanager
def action_run(run_id: int) -> Iterator[RunReporter]:
    """Marks the run running, then succeeded, or failed with the exception (re-raised)."""
    PluginActionRun.objects.filter(pk=run_id).update(
        status=PluginActionRun.Status.RUNNING, started_at=timezone.now()
    )
    try:
        yield RunReporter(run_id)
    except Exception as exc:
        PluginActionRun.objects.filter(pk=run_id).update(
            status=PluginActionRun.Status.FAILED,
            message=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    PluginActionRun.objects.filter(pk=run_id).update(
        status=PluginActionRun.Status.SUCCEEDED, finished_at=timezone.now()
    )


__all__ = ("RunReporter", "action_label", "action_run", "find_action", "start_action")
