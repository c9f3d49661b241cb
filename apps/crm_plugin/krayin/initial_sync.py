"""Initial sync into a tenant's Krayin: its active partners (persons and aggregates notes)
and 12 months of history (notes), in batches, resumable and throttled.

Resumable like Twenty's: the run's checkpoint (phase, last primary key) is saved after
each batch, so a resumed run re-sends at most the batch in flight; that batch is sent
with `maybe_done` (look before creating), so it duplicates nothing. Every person of the
instance is read once at the start (`PersonIndex`, one call), so finding a partner's
person costs no call per partner. The client's bucket keeps the pace under Krayin's
per-user limit; a transient failure of a batch is retried with backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.crm_plugin.erp_history import RecordKind, history_queryset, history_since
from apps.crm_plugin.models import SyncRun
from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from .client import KrayinClient
from .config import BACKEND
from .errors import KrayinError, KrayinTransientError
from .partner_sync import push_history, push_partners
from .persons import PersonIndex

log = logging.getLogger("crm_plugin.krayin.initial_sync")

BATCH_SIZE = 50
PHASES: tuple[str, ...] = (
    SyncRun.Phase.PEOPLE, SyncRun.Phase.RENTAL, SyncRun.Phase.SERVICE, SyncRun.Phase.SALES,
)  # fmt: skip
MAX_BATCH_ATTEMPTS = 8
BACKOFF_CAP_SECONDS = 60.0

Progress = Callable[[SyncRun], None]


class SyncInterrupted(Exception):
    """Raised when `should_stop` asked the run to stop; the checkpoint is saved."""


def _queryset(run: SyncRun, phase: str) -> QuerySet:
    assert run.tenant_id is not None, "a Krayin sync is always one tenant's"
    if phase == SyncRun.Phase.PEOPLE:
        qs = Partner.objects.filter(is_active=True).select_related("tenant")
        return qs.filter(tenant_id=run.tenant_id).order_by("pk")
    return history_queryset(RecordKind(phase), run.history_since).filter(
        partner__tenant_id=run.tenant_id
    ).select_related("partner__tenant")


def start_run(tenant: Tenant, *, action_run: PluginActionRun | None = None) -> SyncRun:
    run = SyncRun.objects.create(kind=SyncRun.Kind.INITIAL, backend=BACKEND, tenant=tenant,
                                 history_since=history_since(), action_run=action_run)
    run.total = sum(_queryset(run, phase).count() for phase in PHASES)
    run.save(update_fields=["total"])
    return run


def resumable_run(tenant: Tenant) -> SyncRun | None:
    """The tenant's latest Krayin initial sync that did not finish, if any."""
    return (
        SyncRun.objects.filter(kind=SyncRun.Kind.INITIAL, backend=BACKEND, tenant=tenant)
        .exclude(status=SyncRun.Status.SUCCEEDED)
        .order_by("-started_at", "-id")
        .first()
    )


def _push(client: KrayinClient, phase: str, rows: Sequence[Model], *, maybe_done: bool,
          index: PersonIndex) -> None:
    if phase == SyncRun.Phase.PEOPLE:
        push_partners(client, rows, maybe_done=maybe_done, index=index)  # type: ignore[arg-type]
    else:
        push_history(client, RecordKind(phase), rows, maybe_done=maybe_done)


def _push_with_retries(client: KrayinClient, phase: str, rows: Sequence[Model], *,
                       resumed: bool, index: PersonIndex,
                       sleep: Callable[[float], None]) -> None:
    for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
        try:
            _push(client, phase, rows, maybe_done=resumed or attempt > 1, index=index)
            return
        except KrayinTransientError as exc:
            if attempt == MAX_BATCH_ATTEMPTS:
                raise
            wait = exc.retry_after or min(BACKOFF_CAP_SECONDS, 2.0**attempt)
            log.warning("batch failed (%s), retry %d in %.1fs", exc.message, attempt, wait)
            sleep(wait)


def progress_message(run: SyncRun) -> str:
    if run.phase == SyncRun.Phase.DONE:
        return f"Kész · {run.done} tétel elküldve a Krayinbe"
    return f"{run.get_phase_display()} szakasz · {run.done} / {run.total} tétel kész"


def _report(run: SyncRun, progress: Progress | None) -> None:
    if run.action_run_id:
        PluginActionRun.objects.filter(pk=run.action_run_id).update(
            progress_current=run.done, progress_total=run.total, message=progress_message(run),
        )  # fmt: skip
    if progress is not None:
        progress(run)


def run_sync(client: KrayinClient, run: SyncRun, *, progress: Progress | None = None,
             should_stop: Callable[[SyncRun], bool] | None = None,
             sleep: Callable[[float], None] = time.sleep) -> SyncRun:
    """Run (or resume) `run` to the end; the checkpoint is saved after every batch."""
    resumed = run.done > 0 or run.phase != SyncRun.Phase.PEOPLE
    run.status = SyncRun.Status.RUNNING
    run.error = ""
    run.save(update_fields=["status", "error", "updated_at"])
    calls_before = client.calls
    try:
        index = PersonIndex.load(client)
        for phase in PHASES[PHASES.index(run.phase) :] if run.phase in PHASES else ():
            if run.phase != phase:
                run.phase, run.last_pk = phase, 0
            while True:
                rows = list(_queryset(run, phase).filter(pk__gt=run.last_pk)[:BATCH_SIZE])
                if not rows:
                    break
                if should_stop is not None and should_stop(run):
                    raise SyncInterrupted(f"stopped at {run.phase} > {run.last_pk}")
                _push_with_retries(client, phase, rows, resumed=resumed, index=index,
                                   sleep=sleep)  # fmt: skip
                resumed = False  # only the first batch after a resume may be half done
                run.last_pk = rows[-1].pk
                run.done += len(rows)
                run.records_sent += len(rows)
                run.calls += client.calls - calls_before
                calls_before = client.calls
                run.save(update_fields=["phase", "last_pk", "done", "records_sent", "calls",
                                        "updated_at"])  # fmt: skip
                _report(run, progress)
        run.phase = SyncRun.Phase.DONE
        run.status = SyncRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
    except (SyncInterrupted, KeyboardInterrupt) as exc:
        run.status = SyncRun.Status.INTERRUPTED
        run.error = str(exc) or "interrupted"
        raise
    except KrayinError as exc:
        run.status = SyncRun.Status.FAILED
        run.error = f"{exc.http_status or ''} {exc.message}".strip()
        raise
    finally:
        run.calls += client.calls - calls_before
        run.save()
        _report(run, progress)
    log.info("krayin initial sync #%s done: %d records in %d calls", run.pk, run.records_sent,
             run.calls)
    return run


__all__ = ("BATCH_SIZE", "PHASES", "SyncInterrupted", "resumable_run", "run_sync", "start_run")
