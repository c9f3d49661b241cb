"""The shared driver of the CRM backends' initial sync and nightly reconciliation.

Both backends promise the same thing: every active partner of the tenants they serve and
12 months of finished history reach the CRM, in batches, throttled by the client's
bucket, resumable, and repaired nightly. What differs is only how a batch is written
(Twenty: one upsert per batch; Krayin: find-or-create per partner, one note per row), so a
backend hands this driver a `BatchWriter` and the driver does the rest:

- **Initial sync** (`start_run`, `resumable_run`, `run_sync`): the phases in order
  (partners, rentals, worklogs, orders), each read in primary-key order in batches; the
  checkpoint (phase, last primary key) is saved after every batch, so an interrupted run
  (a crash, a deploy, Ctrl-C, a long outage) resumes where it stopped and re-sends at most
  the one batch in flight, with `maybe_done` set (look before creating). A transient
  failure of a batch is retried with backoff (the server's Retry-After when it gives one).
  Progress goes to the run, to its plugin action run (the admin page) and to a callback.
- **Reconciliation** (`reconcile_run`): the run's bookkeeping (calls, status, error,
  timing) around the backend's own comparison of partners and each history kind.

Which tenants a run covers is the caller's: a Krayin run one tenant (`run.tenant`), the
Twenty run the tenants whose backend is Twenty (a tenant on Krayin is never pushed to
Twenty by it).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from .erp_history import RecordKind, history_queryset, history_since
from .models import SyncRun

log = logging.getLogger("crm_plugin.batch_sync")

PHASES: tuple[str, ...] = (
    SyncRun.Phase.PEOPLE, SyncRun.Phase.RENTAL, SyncRun.Phase.SERVICE, SyncRun.Phase.SALES,
)  # fmt: skip
MAX_BATCH_ATTEMPTS = 8
BACKOFF_CAP_SECONDS = 60.0

Progress = Callable[[SyncRun], None]


class SyncInterrupted(Exception):
    """Raised when `should_stop` asked the run to stop; the checkpoint is saved."""


class CallCounter(Protocol):
    """A backend client: it counts the HTTP calls it made."""

    @property
    def calls(self) -> int: ...


class BatchWriter(Protocol):
    """What a backend gives the driver for one run."""

    @property
    def client(self) -> CallCounter: ...

    # Retried with backoff (the error's `retry_after` if it has one); `failures` end the
    # run as FAILED with `describe(exc)` as its error. Anything else propagates as it is.
    transient: type[Exception]
    failures: type[Exception]

    def prepare(self) -> None:
        """Before the first batch (e.g. read the CRM's existing records once)."""

    def push(self, phase: str, rows: Sequence[Model], *, maybe_done: bool) -> None:
        """Write one batch of the phase; `maybe_done`: it may be (partly) written already."""

    def describe(self, exc: Exception) -> str:
        """The run's error text for a failure."""


def phase_queryset(phase: str, since: dt.datetime | None,
                   tenant_ids: Collection[int] | None) -> QuerySet:
    """The rows of a phase, in checkpoint (primary key) order; None: every tenant."""
    qs: QuerySet
    if phase == SyncRun.Phase.PEOPLE:
        qs = Partner.objects.filter(is_active=True).select_related("tenant").order_by("pk")
        field = "tenant_id__in"
    else:
        qs = history_queryset(RecordKind(phase), since).select_related("partner__tenant")
        field = "partner__tenant_id__in"
    return qs if tenant_ids is None else qs.filter(**{field: list(tenant_ids)})


def start_run(backend: str, tenant_ids: Collection[int] | None, *, tenant: Tenant | None = None,
              action_run: PluginActionRun | None = None) -> SyncRun:
    """A new initial sync run of `backend` over `tenant_ids`, its total counted."""
    run = SyncRun.objects.create(kind=SyncRun.Kind.INITIAL, backend=backend, tenant=tenant,
                                 history_since=history_since(), action_run=action_run)
    run.total = sum(phase_queryset(p, run.history_since, tenant_ids).count() for p in PHASES)
    run.save(update_fields=["total"])
    return run


def resumable_run(backend: str, tenant: Tenant | None) -> SyncRun | None:
    """The latest initial sync of `backend` for this scope (None: the global one) that did
    not finish, if any."""
    scope: dict[str, object] = (
        {"tenant": tenant} if tenant is not None else {"tenant__isnull": True}
    )
    return (
        SyncRun.objects.filter(kind=SyncRun.Kind.INITIAL, backend=backend, **scope)
        .exclude(status=SyncRun.Status.SUCCEEDED)
        .order_by("-started_at", "-id")
        .first()
    )


def progress_message(run: SyncRun, crm_label: str) -> str:
    """The total counts partners and their history together, so name the phase apart
    from the count ("Bérlések szakasz · 120 / 534 tétel kész")."""
    if run.phase == SyncRun.Phase.DONE:
        return f"Kész · {run.done} tétel elküldve ({crm_label})"
    return f"{run.get_phase_display()} szakasz · {run.done} / {run.total} tétel kész"


def _report(run: SyncRun, progress: Progress | None, crm_label: str) -> None:
    if run.action_run_id:
        PluginActionRun.objects.filter(pk=run.action_run_id).update(
            progress_current=run.done, progress_total=run.total,
            message=progress_message(run, crm_label),
        )  # fmt: skip
    if progress is not None:
        progress(run)


def _push_with_retries(writer: BatchWriter, phase: str, rows: Sequence[Model], *,
                       resumed: bool, sleep: Callable[[float], None]) -> None:
    for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
        try:
            writer.push(phase, rows, maybe_done=resumed or attempt > 1)
            return
        except writer.transient as exc:
            if attempt == MAX_BATCH_ATTEMPTS:
                raise
            retry_after = getattr(exc, "retry_after", None)
            wait = retry_after or min(BACKOFF_CAP_SECONDS, 2.0**attempt)
            log.warning("batch failed (%s), retry %d in %.1fs", exc, attempt, wait)
            sleep(wait)


def run_sync(writer: BatchWriter, run: SyncRun, *, tenant_ids: Collection[int] | None,
             batch_size: int, crm_label: str, progress: Progress | None = None,
             should_stop: Callable[[SyncRun], bool] | None = None,
             sleep: Callable[[float], None] = time.sleep) -> SyncRun:
    """Run (or resume) `run` to the end; the checkpoint is saved after every batch."""
    resumed = run.done > 0 or run.phase != SyncRun.Phase.PEOPLE
    run.status = SyncRun.Status.RUNNING
    run.error = ""
    run.save(update_fields=["status", "error", "updated_at"])
    client = writer.client
    calls_before = client.calls
    try:
        writer.prepare()
        run.calls += client.calls - calls_before  # the reading before the first batch
        calls_before = client.calls
        _report(run, progress, crm_label)
        for phase in PHASES[PHASES.index(run.phase) :] if run.phase in PHASES else ():
            if run.phase != phase:
                run.phase, run.last_pk = phase, 0
            queryset = phase_queryset(phase, run.history_since, tenant_ids)
            while True:
                rows = list(queryset.filter(pk__gt=run.last_pk)[:batch_size])
                if not rows:
                    break
                if should_stop is not None and should_stop(run):
                    raise SyncInterrupted(f"stopped at {run.phase} > {run.last_pk}")
                _push_with_retries(writer, phase, rows, resumed=resumed, sleep=sleep)
                resumed = False  # only the first batch after a resume may be half done
                run.last_pk = rows[-1].pk
                run.done += len(rows)
                run.records_sent += len(rows)
                run.calls += client.calls - calls_before
                calls_before = client.calls
                run.save(update_fields=["phase", "last_pk", "done", "records_sent", "calls",
                                        "updated_at"])  # fmt: skip
                _report(run, progress, crm_label)
        run.phase = SyncRun.Phase.DONE
        run.status = SyncRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
    except (SyncInterrupted, KeyboardInterrupt) as exc:
        run.status = SyncRun.Status.INTERRUPTED
        run.error = str(exc) or "interrupted"
        raise
    except writer.failures as exc:
        run.status = SyncRun.Status.FAILED
        run.error = writer.describe(exc)
        raise
    finally:
        run.calls += client.calls - calls_before
        run.save()
        _report(run, progress, crm_label)
    log.info("%s initial sync #%s done: %d records in %d calls", run.backend, run.pk,
             run.records_sent, run.calls)
    return run


@contextmanager
def reconcile_run(client: CallCounter, backend: str,
                  tenant: Tenant | None = None) -> Iterator[SyncRun]:
    """A reconciliation run around the backend's comparison (which fills `done`, `total`,
    `repaired` and sets `phase` as it goes): its calls, outcome and timing recorded."""
    run = SyncRun.objects.create(kind=SyncRun.Kind.RECONCILE, backend=backend, tenant=tenant,
                                 history_since=history_since())  # fmt: skip
    calls_before = client.calls
    try:
        yield run
        run.phase = SyncRun.Phase.DONE
        run.status = SyncRun.Status.SUCCEEDED
    except Exception as exc:
        run.status = SyncRun.Status.FAILED
        run.error = str(exc)[:2000]
        raise
    finally:
        run.calls = client.calls - calls_before
        run.finished_at = timezone.now()
        run.save()
    log.info("%s reconciliation #%s (%s): %d checked, %d repaired", backend, run.pk,
             tenant.slug if tenant is not None else "global", run.done, run.repaired)


def reconcile_phases(run: SyncRun, people: Callable[[], None],
                     history: Callable[[RecordKind], None]) -> None:
    """The reconciliation's order: partners first (history notes hang on their persons),
    then each history kind, the run's phase following."""
    people()
    for kind in RecordKind:
        run.phase = kind.value
        history(kind)


__all__ = ("BACKOFF_CAP_SECONDS", "MAX_BATCH_ATTEMPTS", "PHASES", "BatchWriter", "CallCounter",
           "Progress", "SyncInterrupted", "phase_queryset", "progress_message", "reconcile_phases",
           "reconcile_run", "resumable_run", "run_sync", "start_run")
