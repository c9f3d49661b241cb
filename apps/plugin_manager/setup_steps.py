"""Connector setup steps: what must exist remotely before a plugin's first delivery.

A plugin whose handlers need something created in the outside system first (a schema, a
webhook) names an idempotent ``setup_step`` in its manifest:
``def ensure(settings: Mapping[str, object]) -> str`` (returns a short Hungarian summary,
raises on failure). Whatever switched the plugin on (the environment, the admin, a
command), the bus guarantees the step ran for the settings a delivery uses before that
delivery's handler is called:

- ``require(plugin_id, tenant_id, settings)`` is asked before each handler call. A step
  completed for these settings (same fingerprint) answers at once from a per-process
  memo; otherwise it queues the step (once, under a cache lock) and raises
  ``PostponeDelivery``: the delivery waits without using an attempt.
- A handler that meets the missing setup anyway (someone deleted the schema) raises a
  ``SetupPendingError``; the bus forgets the completion and postpones the same way.
- When the step succeeds, deliveries of that plugin that died of a setup error before
  (their error starts with ``SETUP_PENDING_PREFIX``) are retried.

Settings changes give a new fingerprint, so pointing a plugin at another workspace runs
the step again there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .eventbus.errors import SETUP_PENDING_PREFIX
from .models import PluginSetup
from .registry import get_plugin
from .runtime import get_plugin_settings

log = logging.getLogger("plugin_manager.setup")

RUN_SETUP_TASK = "plugin_manager.run_setup_step"
# How long one queued setup keeps others from queueing the same step.
QUEUE_LOCK_SECONDS = 120

_completed: set[tuple[str, str]] = set()
_lock = threading.Lock()


class SetupPending(Exception):
    """The plugin's setup step has not completed for these settings yet."""


def fingerprint(settings: Mapping[str, object]) -> str:
    canonical = json.dumps({k: str(v) for k, v in sorted(settings.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def require(plugin_id: str, tenant_id: int | None, settings: Mapping[str, object]) -> None:
    """Return when the step is done for these settings; else queue it and raise
    ``SetupPending``. Plugins without a setup step always pass."""
    if not get_plugin(plugin_id).setup_step:
        return
    key = (plugin_id, fingerprint(settings))
    with _lock:
        if key in _completed:
            return
    if PluginSetup.objects.filter(plugin_id=plugin_id, fingerprint=key[1],
                                  completed_at__isnull=False).exists():
        with _lock:
            _completed.add(key)
        return
    queue_setup(plugin_id, tenant_id)
    raise SetupPending(f"{plugin_id}: a külső rendszer előkészítése folyamatban")


def forget(plugin_id: str, settings: Mapping[str, object]) -> None:
    """The remote setup is gone (a handler met it missing): run the step again."""
    print_ = fingerprint(settings)
    with _lock:
        _completed.discard((plugin_id, print_))
    PluginSetup.objects.filter(plugin_id=plugin_id, fingerprint=print_).update(completed_at=None)


def queue_setup(plugin_id: str, tenant_id: int | None) -> None:
    if not cache.add(f"plugin-setup:{plugin_id}:{tenant_id}", "1", QUEUE_LOCK_SECONDS):
        return  # already queued or running
    from kgc_erp.celery import app

    try:
        app.send_task(RUN_SETUP_TASK, kwargs={"plugin_id": plugin_id, "tenant_id": tenant_id})
    except Exception:  # the broker down: the next delivery attempt queues it again
        cache.delete(f"plugin-setup:{plugin_id}:{tenant_id}")
        log.warning("could not queue the setup step of %s", plugin_id, exc_info=True)


def run_setup(plugin_id: str, tenant_id: int | None) -> str:
    """Run the plugin's step for the scope's current settings and record the outcome."""
    plugin = get_plugin(plugin_id)
    if not plugin.setup_step:
        return ""
    settings = get_plugin_settings(plugin_id, tenant_id)
    print_ = fingerprint(settings)
    record, _ = PluginSetup.objects.get_or_create(plugin_id=plugin_id, fingerprint=print_)
    try:
        summary = str(import_string(plugin.setup_step)(settings) or "")
    except Exception as exc:
        PluginSetup.objects.filter(pk=record.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000], attempts=record.attempts + 1
        )
        raise
    with transaction.atomic():
        PluginSetup.objects.filter(pk=record.pk).update(
            completed_at=timezone.now(), last_error="", summary=summary[:2000],
            attempts=record.attempts + 1,
        )
        _retry_setup_casualties(plugin_id)
    with _lock:
        _completed.add((plugin_id, print_))
    log.info("setup step of %s done: %s", plugin_id, summary)
    return summary


def _retry_setup_casualties(plugin_id: str) -> None:
    from .eventbus.manual_retry import retry_deliveries
    from .eventbus.models import Delivery

    retried = retry_deliveries(Delivery.objects.filter(
        subscriber=plugin_id, status=Delivery.Status.DEAD,
        last_error__startswith=SETUP_PENDING_PREFIX,
    ))
    if retried:
        log.info("retried %d deliveries of %s that died before its setup", retried, plugin_id)


@shared_task(name=RUN_SETUP_TASK, ignore_result=True, autoretry_for=(Exception,),
             retry_backoff=5, retry_backoff_max=300, max_retries=None)
def run_setup_step(*, plugin_id: str, tenant_id: int | None) -> str:
    try:
        return run_setup(plugin_id, tenant_id)
    finally:
        cache.delete(f"plugin-setup:{plugin_id}:{tenant_id}")


__all__ = ("SetupPending", "fingerprint", "forget", "queue_setup", "require", "run_setup",
           "run_setup_step")
