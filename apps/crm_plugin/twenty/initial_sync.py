"""Initial sync: every active partner and 12 months of history, in batches of <= 60.

Resumable: the run's checkpoint (phase, last primary key) is saved after each batch, so
after an interruption (a crash, a deploy, Ctrl-C, a long Twenty outage) `resume` carries
on where it stopped; the one batch that might have been in flight is re-sent, which the
upserts keyed on kgcPartnerId / kgc*Id make harmless. Throttled by the client's bucket.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import cast

from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner

from ..models import SyncRun
from .client import BATCH_SIZE, TwentyClient
from .errors import TwentyError, TwentyTransientError
from .history import history_queryset, history_since, push_records
from .kinds import RecordKind
from .people import push_partners

log = logging.getLogger("crm_plugin.twenty.initial_sync")

PHASES: tuple[str, ...] = (
    SyncRun.Phase.PEOPLE, SyncRun.Phase.RENTAL, SyncRun.Phase.SERVICE, SyncRun.Phase.SALES,
)  # fmt: skip
MAX_BATCH_ATTEMPTS = 8
BACKOFF_CAP_SECONDS = 60.0

Progress = Callable[[SyncRun], None]


class SyncInterrupted(Exception):
    """Raised when `should_stop` asked the run to stop; the checkpoint is saved."""


def _queryset(run: SyncRun, phase: str) -> QuerySet:
    if phase == SyncRun.Phase.PEOPLE:
        return Partner.objects.filter(is_active=True).select_related("tenant").order_by("pk")
    return history_queryset(RecordKind(phase), run.history_since)


def start_run(*, action_run: PluginActionRun | None = None) -> SyncRun:
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.INITIAL, history_since=history_since(), action_run=action_run
    )
    run.total = sum(_queryset(run, phase).count() for phase in PHASES)
    run.save(update_fields=["total"])
    return run


def resumable_run() -> SyncRun | None:
    """The latest initial sync that did not finish, if any."""
    return (
        SyncRun.objects.filter(kind=SyncRun.Kind.INITIAL)
        .exclude(status=SyncRun.Status.SUCCEEDED)
        .order_by("-started_at", "-id")
        .first()
    )


def _push(client: TwentyClient, phase: str, rows: Sequence[Model]) -> None:
    if phase == SyncRun.Phase.PEOPLE:
        push_partners(client, cast("Sequence[Partner]", rows))  # the people phase reads partners
    else:
        push_records(client, RecordKind(phase), rows)


def _push_with_retries(
    client: TwentyClient, phase: str, rows: Sequence[Model], sleep: Callable[[float], None]
) -> None:
    for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
        try:
            _push(client, phase, rows)
            return
        except TwentyTransientError as exc:
            if attempt == MAX_BATCH_ATTEMPTS:
                raise
            wait = exc.retry_after or min(BACKOFF_CAP_SECONDS, 2.0**attempt)
            log.warning("batch failed (%s), retry %d in %.1fs", exc.message, attempt, wait)
            sleep(wait)


def progress_message(run: SyncRun) -> str:
    """The total counts partners and their history together, so name the phase apart
    from the count ("Bérlések szakasz · 120 / 534 tétel kész")."""
    if run.phase == SyncRun.Phase.DONE:
        return f"Kész · {run.done} tétel elküldve"
    return f"{run.get_phase_display()} szakasz · {run.done} / {run.total} tétel kész"


def _report(run: SyncRun, progress: Progress | None) -> None:
    if run.action_run_id:
        PluginActionRun.objects.filter(pk=run.action_run_id).update(
            progress_current=run.done, progress_total=run.total,
            message=progress_message(run),
        )  # fmt: skip
    if progress is not None:
        progress(run)


def run_sync(
    client: TwentyClient,
    run: SyncRun,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[SyncRun], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncRun:
    """Run (or resume) `run` to the end; the checkpoint is saved after every batch."""
    run.status = SyncRun.Status.RUNNING
    run.error = ""
    run.save(update_fields=["status", "error", "updated_at"])
    try:
        for phase in PHASES[PHASES.index(run.phase) :] if run.phase in PHASES else ():
            if run.phase != phase:
                run.phase, run.last_pk = phase, 0
            while True:
                rows = list(_queryset(run, phase).filter(pk__gt=run.last_pk)[:BATCH_SIZE])
                if not rows:
                    break
                if should_stop is not None and should_stop(run):
                    raise SyncInterrupted(f"stopped at {run.phase} > {run.last_pk}")
                calls_before = client.calls
                _push_with_retries(client, phase, rows, sleep)
                run.last_pk = rows[-1].pk
                run.done += len(rows)
                run.records_sent += len(rows)
                run.calls += client.calls - calls_before
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
    except TwentyError as exc:
        run.status = SyncRun.Status.FAILED
        run.error = f"{exc.code or exc.http_status or ''} {exc.message}".strip()
        raise
    finally:
        run.save()
        _report(run, progress)
    log.info("initial sync #%s done: %d records in %d calls", run.pk, run.records_sent, run.calls)
    return run


__all__ = ("PHASES", "SyncInterrupted", "resumable_run", "run_sync", "start_run")
