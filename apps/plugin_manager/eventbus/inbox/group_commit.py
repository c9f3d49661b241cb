"""Group commit for accepted inbound deliveries, led by the requests themselves.

Every accepted webhook needs its row committed before the 200 goes out, and a commit is a
WAL flush plus a statement round trip: under a burst, one per request costs the database
more than the rest of the inbox together. So while one request thread of a process is
writing, the others queue their rows; the next to get the write lock stores everything
queued as one multi-row INSERT and one commit, on its own connection, and the rest find
their row already stored and answer at once. No thread is added and nothing waits on a
timer: an idle server writes batches of one.

Inside an atomic block (a caller's own transaction, the test suite's TestCase) the row is
inserted alone on the caller's connection, since no other request could commit it.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

from django.db import (
    DataError,
    IntegrityError,
    OperationalError,
    connection,
    transaction,
)

from apps.plugin_manager.eventbus.dispatch import enqueue_inbound_after_commit
from apps.plugin_manager.eventbus.inbox.storage import AcceptedRow, insert_rows

logger = logging.getLogger("kgc.eventbus.inbox")

# One statement's limits: parameters (14 a row) and, since bodies reach 1 MiB, bytes.
MAX_ROWS = 100
MAX_BATCH_BYTES = 8 * 1024 * 1024


class _Slot:
    __slots__ = ("done", "error", "inbound_id", "row")

    def __init__(self, row: AcceptedRow) -> None:
        self.row = row
        self.done = False
        self.inbound_id: int | None = None
        self.error: str | None = None


class GroupCommit:
    def __init__(self) -> None:
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._queued: list[_Slot] = []

    def store(self, row: AcceptedRow) -> int | None:
        """The stored row's id, or None for a replay; raises DatabaseError on failure."""
        if connection.in_atomic_block:
            return _store([row])[0]
        slot = _Slot(row)
        with self._queue_lock:
            self._queued.append(slot)
        with self._write_lock:  # slots are only settled under this lock
            while not slot.done:  # a long queue takes more than one statement
                self._write_queued()
        if slot.error is not None:
            raise OperationalError(slot.error)
        return slot.inbound_id

    def _write_queued(self) -> None:
        """Store the oldest queued rows as one statement; settles each of their slots
        (never raises: a failure becomes each slot's error)."""
        with self._queue_lock:
            batch: list[_Slot] = []
            size = 0
            while self._queued and len(batch) < MAX_ROWS and size < MAX_BATCH_BYTES:
                slot = self._queued.pop(0)
                batch.append(slot)
                size += len(slot.row.raw_body)
        try:
            ids = _store([slot.row for slot in batch])
        except (IntegrityError, DataError):
            # One row the database refuses (its tenant deleted a moment ago, say) must not
            # fail the others: store them one by one, each with its own fate.
            for slot in batch:
                self._write_alone(slot)
            return
        except Exception:  # the connection, the server (or a bug): the whole batch fails
            # Never let it escape unsettled: the other requests would wait for ever.
            logger.warning("eventbus.inbox.store-failed rows=%d", len(batch), exc_info=True)
            _fail(batch)
            return
        for slot, inbound_id in zip(batch, ids, strict=True):
            slot.inbound_id = inbound_id
            slot.done = True

    @staticmethod
    def _write_alone(slot: _Slot) -> None:
        try:
            slot.inbound_id = _store([slot.row])[0]
        except Exception:
            logger.warning("eventbus.inbox.store-failed source=%s", slot.row.source,
                           exc_info=True)
            _fail([slot])
            return
        slot.done = True


def _fail(batch: list[_Slot]) -> None:
    """Every request of the batch answers 503; the senders retry."""
    for slot in batch:
        slot.error = "storing the delivery failed"
        slot.done = True


def _store(rows: list[AcceptedRow]) -> list[int | None]:
    ids = insert_rows(rows)
    to_process = [
        inbound_id
        for row, inbound_id in zip(rows, ids, strict=True)
        if inbound_id is not None and not row.processed
    ]
    if to_process:
        # Immediately in autocommit; after the caller's commit inside an atomic block.
        transaction.on_commit(partial(_publish, to_process))
    return ids


def _publish(inbound_ids: list[int]) -> None:
    for inbound_id in inbound_ids:
        enqueue_inbound_after_commit(inbound_id)


group_commit = GroupCommit()

__all__ = ("GroupCommit", "group_commit")
