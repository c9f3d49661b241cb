"""A per-process snapshot of the (tiny) plugin state table, kept fresh through a version key.

`subscribers_for_event` runs on every model save, so reading the table each time would add
a query to every write in the ERP. Instead each process keeps the whole table in memory,
tagged with the version it was loaded under, and checks one shared cache key per call
(read through one long-lived Redis client per process, see version_store.py):

- every write to PluginState bumps the version (at once, and again after commit, so a
  process that reloaded between the write and its commit cannot keep the old rows);
- a process that sees another version, or no version (cache flushed), reloads the table;
- if the cache cannot be reached the table is read directly, so a Redis outage costs one
  small query per call but never a wrong answer;
- a snapshot older than MAX_AGE_SECONDS is reloaded anyway, which bounds the damage of a
  write that bypassed the ORM (raw SQL, restore from backup).

Web processes and Celery workers therefore see a switch made in the admin or from the
command on their next event, without a restart.

Code that asks several questions in one short unit of work (the webhook inbox: is the
source on, its secret, the tenant's account) can `pin()` one snapshot for the block, and
values derived from a snapshot (effective settings, decrypted) are memoised on it, so the
unit costs one version read instead of one per question.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import version_store
from .models import PluginState

log = logging.getLogger("plugin_manager.snapshot")

VERSION_KEY = version_store.VERSION_KEY
MAX_AGE_SECONDS = 60.0

ScopeKey = tuple[str, int | None]  # (plugin_id, tenant_id or None for the global row)


@dataclass(frozen=True)
class StateRow:
    enabled: bool | None
    settings: Mapping[str, object]
    health_status: str


@dataclass(frozen=True)
class Snapshot:
    version: object
    loaded_at: float
    rows: Mapping[ScopeKey, StateRow] = field(default_factory=dict)
    # Values computed from `rows` (runtime's effective settings), valid as long as the rows.
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)


_snapshot: Snapshot | None = None
# (snapshot, monotonic time a version read last confirmed it): callers that accept a
# bounded staleness skip the read within their bound while it is still the snapshot.
_confirmed: tuple[Snapshot, float] | None = None
_pinned: ContextVar[Snapshot | None] = ContextVar("plugin_state_pinned", default=None)
# Set while this thread's open transaction has written state rows: what it reads then may
# still roll back, so it must neither use nor publish the shared snapshot (Django has no
# rollback hook; the flag is dropped on commit, or once the thread is out of any atomic block).
_local = threading.local()


def _load_rows() -> dict[ScopeKey, StateRow]:
    return {
        (plugin_id, tenant_id): StateRow(enabled, stored or {}, health)
        for plugin_id, tenant_id, enabled, stored, health in PluginState.objects.values_list(
            "plugin_id", "tenant_id", "enabled", "settings", "health_status"
        )
    }


def _unshared() -> Snapshot:
    """Rows read straight from the table, for this caller only."""
    return Snapshot(None, time.monotonic(), _load_rows())


def current_snapshot(max_staleness: float = 0.0) -> Snapshot:
    """The state as of now, at the cost of one cache read in the common case (none
    inside `pin()`).

    `max_staleness` > 0 accepts a snapshot another process's change may have outdated up
    to that many seconds ago, and skips the cache read within that bound. This process's
    own changes are always seen at once (bump_version drops the snapshot).
    """
    global _snapshot, _confirmed
    if getattr(_local, "dirty", False):
        if connection.in_atomic_block:
            return _unshared()
        _local.dirty = False
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    snap = _snapshot
    confirmed = _confirmed
    if (
        max_staleness > 0
        and snap is not None
        and confirmed is not None
        and confirmed[0] is snap
        and time.monotonic() - confirmed[1] < max_staleness
    ):
        return snap
    try:
        version = version_store.read()
    except Exception:  # the cache backend's connection errors are not one exception type
        log.warning("plugin state cache unreachable; reading the state table directly")
        return _unshared()
    now = time.monotonic()
    if (
        snap is not None
        and version is not None
        and snap.version == version
        and now - snap.loaded_at < MAX_AGE_SECONDS
    ):
        _confirmed = (snap, now)
        return snap
    # The version is read before the rows: a write that lands in between bumps the
    # version again, so the next call reloads instead of keeping stale rows.
    snap = Snapshot(version, now, _load_rows())
    _snapshot = snap
    _confirmed = (snap, now)
    return snap


def current_rows() -> Mapping[ScopeKey, StateRow]:
    """All state rows as of now (see current_snapshot)."""
    return current_snapshot().rows


@contextmanager
def pin(max_staleness: float = 0.0) -> Iterator[Snapshot]:
    """Answer every lookup in the block (this thread / task only) from one snapshot
    (see current_snapshot for `max_staleness`).

    For short read-only units of work: a state change made inside the block is seen
    after it, not in it (except the block's own writes in a transaction, which always
    read the table).
    """
    pinned = current_snapshot(max_staleness)
    token = _pinned.set(pinned)
    try:
        yield pinned
    finally:
        _pinned.reset(token)


def bump_version() -> None:
    """Tell every process that the state changed (now and once the transaction commits)."""
    global _snapshot
    _snapshot = None
    _set_new_version()
    if connection.in_atomic_block:
        _local.dirty = True
        transaction.on_commit(_committed)


def _committed() -> None:
    _local.dirty = False
    _set_new_version()


def _set_new_version() -> None:
    global _snapshot
    _snapshot = None
    try:
        version_store.publish_new()
    except Exception:
        # Other processes will catch up within MAX_AGE_SECONDS; the write itself stands.
        log.warning("could not publish the plugin state version; peers refresh within %ss",
                    MAX_AGE_SECONDS)


@receiver(post_save, sender=PluginState, dispatch_uid="plugin_manager.state_saved")
@receiver(post_delete, sender=PluginState, dispatch_uid="plugin_manager.state_deleted")
def _state_changed(**kwargs: object) -> None:
    bump_version()


@receiver(setting_changed, dispatch_uid="plugin_manager.django_setting_changed")
def _django_setting_changed(**kwargs: object) -> None:
    # Memoised effective settings include the env layer (Django settings).
    global _snapshot
    _snapshot = None
    version_store.forget_client()


__all__ = (
    "MAX_AGE_SECONDS",
    "Snapshot",
    "StateRow",
    "bump_version",
    "current_rows",
    "current_snapshot",
    "pin",
)
