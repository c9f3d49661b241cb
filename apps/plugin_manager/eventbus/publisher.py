"""A per-process background thread that publishes task messages handed over after commit.

Why: publishing costs a broker round trip plus Celery's message building, on every save
that records an event. The database rows are already committed when the publish is due,
so nothing is lost if the publish is late, fails, or never happens (the sweeper enqueues
every due row it finds); the request therefore need not wait for it.

The thread is started lazily and again after a fork (gunicorn and Celery prefork fork
their workers), publishes what is queued in arrival order, and is drained at interpreter
exit (bounded), so a management command's last events are not left to the sweeper.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time

logger = logging.getLogger("kgc.eventbus.publisher")

EXIT_FLUSH_SECONDS = 5.0


# A message's id list stays small enough to be one worker's short burst of work.
MAX_BATCH = 100
# How long the first id of a batch waits for company: far below anything a person or a
# remote system notices, long enough to batch a burst of saves.
LINGER_SECONDS = 0.02
# Tasks taking one id, and the task taking a list of them.
BATCHED = {
    "eventbus.deliver": "eventbus.deliver_many",
    "eventbus.deliver_many": "eventbus.deliver_many",
    "eventbus.process_inbound": "eventbus.process_inbound_many",
}


def coalesce(batch: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Merge single-id messages into one list message per task, keeping arrival order."""
    merged: dict[str, list[object]] = {}
    others: list[tuple[str, object]] = []
    for task_name, argument in batch:
        many = BATCHED.get(task_name)
        if many is None:
            others.append((task_name, argument))
            continue
        ids = merged.setdefault(many, [])
        ids.extend(argument if isinstance(argument, list) else [argument])
    result = others
    for many, ids in merged.items():
        single = next(t for t, m in BATCHED.items() if m == many and t != many)
        result.append((single, ids[0]) if len(ids) == 1 else (many, ids))
    return result


def _take_waiting(source: queue.SimpleQueue[tuple[str, object]], batch: list) -> None:
    while len(batch) < MAX_BATCH:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            return


class BackgroundPublisher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._pid: int | None = None

    def submit(self, task_name: str, argument: object) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use in this process, or after a fork
                self._queue = queue.SimpleQueue()
                self._pending = 0
                self._pid = os.getpid()
                threading.Thread(
                    target=self._run, name="eventbus-publisher", daemon=True
                ).start()
            self._pending += 1
        self._queue.put((task_name, argument))

    def _run(self) -> None:
        from .enqueue import publish

        own_queue = self._queue
        while True:
            batch = [own_queue.get()]
            # Linger a moment so that what arrives meanwhile goes out in the same message:
            # under load one message carries many ids, which keeps publishing (Celery's
            # message building is the expensive part) off the web process's back. One
            # sleep, then take what came: waking up for each arrival would make this
            # thread compete for the interpreter lock with the requests it serves.
            _take_waiting(own_queue, batch)
            if len(batch) < MAX_BATCH:
                time.sleep(LINGER_SECONDS)
                _take_waiting(own_queue, batch)
            try:
                for task_name, argument in coalesce(batch):
                    publish(task_name, [argument])
            except Exception:  # publish() logs broker errors itself; this is a bug guard
                logger.exception("eventbus.publisher.error")
            finally:
                with self._lock:
                    if own_queue is self._queue:
                        self._pending -= len(batch)
                        if self._pending == 0:
                            self._idle.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is published; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending and self._pid == os.getpid():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True


background = BackgroundPublisher()
atexit.register(background.flush, EXIT_FLUSH_SECONDS)

__all__ = ("BackgroundPublisher", "background")
