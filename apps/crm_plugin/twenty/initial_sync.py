"""Initial sync into Twenty: every active partner of the tenants whose backend is Twenty
and 12 months of their history, in batches of <= 60 (one upsert each).

The loop, checkpoint, resume, retries and progress are the shared driver's
(`apps/crm_plugin/batch_sync.py`); this module says how a batch is written. The one batch
that might have been in flight when a run stopped is re-sent on resume, which the upserts
keyed on kgcPartnerId / kgc*Id make harmless. Throttled by the client's bucket.

Twenty is one workspace for the company, so the run is global (no tenant); the tenants it
covers are read when it starts and again when it resumes, so a tenant that switched to
Krayin meanwhile is not pushed any more (and one that came back is caught up by its own
reconciliation, `backend_switch.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from django.db.models import Model

from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner

from .. import batch_sync
from ..backends import TWENTY
from ..batch_sync import Progress, SyncInterrupted
from ..models import SyncRun
from ..scopes import tenant_ids_on
from .client import BATCH_SIZE, TwentyClient
from .errors import TwentyError, TwentyTransientError
from .history import push_records
from .kinds import RecordKind
from .people import push_partners

CRM_LABEL = "Twenty"


@dataclass
class TwentyBatches:
    """How the shared driver writes a batch into Twenty: one upsert call."""

    client: TwentyClient
    transient: type[Exception] = TwentyTransientError
    failures: type[Exception] = TwentyError

    def prepare(self) -> None:
        """Nothing to read first: the upserts find the existing rows themselves."""

    def push(self, phase: str, rows: Sequence[Model], *, maybe_done: bool) -> None:
        if phase == SyncRun.Phase.PEOPLE:
            push_partners(self.client, cast("Sequence[Partner]", rows))
        else:
            push_records(self.client, RecordKind(phase), rows)

    def describe(self, exc: Exception) -> str:
        assert isinstance(exc, TwentyError)
        return f"{exc.code or exc.http_status or ''} {exc.message}".strip()


def start_run(*, action_run: PluginActionRun | None = None) -> SyncRun:
    return batch_sync.start_run(TWENTY, tenant_ids_on(TWENTY), action_run=action_run)


def resumable_run() -> SyncRun | None:
    """The latest global Twenty initial sync that did not finish, if any."""
    return batch_sync.resumable_run(TWENTY, None)


def run_sync(
    client: TwentyClient,
    run: SyncRun,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[SyncRun], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncRun:
    """Run (or resume) `run` to the end; the checkpoint is saved after every batch."""
    return batch_sync.run_sync(TwentyBatches(client), run, tenant_ids=tenant_ids_on(TWENTY),
                               batch_size=BATCH_SIZE, crm_label=CRM_LABEL, progress=progress,
                               should_stop=should_stop, sleep=sleep)  # fmt: skip


__all__ = ("CRM_LABEL", "SyncInterrupted", "TwentyBatches", "resumable_run", "run_sync",
           "start_run")
