"""Initial sync into a tenant's Krayin: its active partners (persons and aggregates notes)
and 12 months of history (notes), in batches, resumable and throttled.

The loop, checkpoint, resume, retries and progress are the shared driver's
(`apps/crm_plugin/batch_sync.py`); this module says how a batch is written. Krayin has no
upsert, so the batch in flight when a run stopped is re-sent with `maybe_done` (look
before creating) and duplicates nothing. Every person of the instance is read once at
the start (`PersonIndex`, one call), so finding a partner's person costs no call per
partner. The client's bucket keeps the pace under Krayin's per-user limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from django.db.models import Model

from apps.crm_plugin import batch_sync
from apps.crm_plugin.batch_sync import PHASES, Progress, SyncInterrupted
from apps.crm_plugin.erp_history import RecordKind
from apps.crm_plugin.models import SyncRun
from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from .client import KrayinClient
from .config import BACKEND
from .errors import KrayinError, KrayinTransientError
from .partner_sync import push_history, push_partners
from .persons import PersonIndex

BATCH_SIZE = 50
CRM_LABEL = "Krayin"


@dataclass
class KrayinBatches:
    """How the shared driver writes a batch into Krayin: find-or-create per partner (the
    person index read once), one note per history row."""

    client: KrayinClient
    transient: type[Exception] = KrayinTransientError
    failures: type[Exception] = KrayinError
    index: PersonIndex = field(default_factory=lambda: PersonIndex({}, {}))

    def prepare(self) -> None:
        self.index = PersonIndex.load(self.client)

    def push(self, phase: str, rows: Sequence[Model], *, maybe_done: bool) -> None:
        if phase == SyncRun.Phase.PEOPLE:
            push_partners(self.client, cast("Sequence[Partner]", rows), maybe_done=maybe_done,
                          index=self.index)
        else:
            push_history(self.client, RecordKind(phase), rows, maybe_done=maybe_done)

    def describe(self, exc: Exception) -> str:
        assert isinstance(exc, KrayinError)
        return f"{exc.http_status or ''} {exc.message}".strip()


def start_run(tenant: Tenant, *, action_run: PluginActionRun | None = None) -> SyncRun:
    return batch_sync.start_run(BACKEND, [tenant.pk], tenant=tenant, action_run=action_run)


def resumable_run(tenant: Tenant) -> SyncRun | None:
    """The tenant's latest Krayin initial sync that did not finish, if any."""
    return batch_sync.resumable_run(BACKEND, tenant)


def run_sync(client: KrayinClient, run: SyncRun, *, progress: Progress | None = None,
             should_stop: Callable[[SyncRun], bool] | None = None,
             sleep: Callable[[float], None] = time.sleep) -> SyncRun:
    """Run (or resume) `run` to the end; the checkpoint is saved after every batch."""
    assert run.tenant_id is not None, "a Krayin sync is always one tenant's"
    return batch_sync.run_sync(KrayinBatches(client), run, tenant_ids=[run.tenant_id],
                               batch_size=BATCH_SIZE, crm_label=CRM_LABEL, progress=progress,
                               should_stop=should_stop, sleep=sleep)  # fmt: skip


__all__ = ("BATCH_SIZE", "CRM_LABEL", "PHASES", "KrayinBatches", "SyncInterrupted",
           "resumable_run", "run_sync", "start_run")
