"""Publishing delivery / inbox tasks to the broker: a fast path that may fail.

The rows are already committed when this runs, so a broker outage must neither raise into
the request that made the change nor make it wait: the failure is logged, this process
stops trying for a few seconds, and the sweeper enqueues whatever is still due.

Publishes that follow a commit in a request (a recorded event, an accepted webhook) are
handed to a per-process background publisher thread (`BackgroundPublisher` below), so the
save does not wait for the broker round trip either; worker-side publishes (retries,
successors, the sweeper) are made directly.

The background thread is started lazily and again after a fork (gunicorn and Celery
prefork fork their workers), publishes what is queued in arrival order, and is drained at
interpreter exit (bounded), so a management command's last events are not left to the
sweeper. Publishing costs a broker round trip plus the message building; the rows are
already committed when the publish is due, so nothing is lost if it is late, fails or never
happens (the sweeper enqueues every due row it finds).

Cost per save: a committed event is handed over as one submission carrying all its delivery
ids, the thread merges a burst of them into one `deliver_many` message, and messages without
countdown are sent from a per-process template of the first message Celery built for that
task (`_MessageTemplate`: new id and argument, the rest reused), which halves the CPU per
message. Messages with countdown (retries) always go through Celery. A templated message
published from inside a worker task carries no parent task id (Celery would set the
current task as parent and root): nothing here reads them, they only serve tracing.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Sequence

from celery import Celery
from kombu import pools
from kombu.pools import ProducerPool

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.broker_transport import transport_for

logger = logging.getLogger("kgc.eventbus.dispatch")

DELIVER = "eventbus.deliver"
DELIVER_MANY = "eventbus.deliver_many"
PROCESS_INBOUND = "eventbus.process_inbound"
PROCESS_INBOUND_MANY = "eventbus.process_inbound_many"
# Ids per `*_many` message published by the sweeper.
SWEEP_MESSAGE_IDS = 100

_paused_until = 0.0  # monotonic time; process-local on purpose (it is only an optimisation)


def publish(task_name: str, arguments: Iterable[object], countdown: float | None = None) -> int:
    """Publish one `task_name(argument)` message per argument now; returns how many."""
    global _paused_until
    arguments = list(arguments)
    if not arguments:
        return 0
    if time.monotonic() < _paused_until:
        logger.info("eventbus.enqueue.paused task=%s count=%d", task_name, len(arguments))
        return 0
    from kgc_erp.celery import app

    try:
        with _producers(app).acquire(block=True, timeout=2) as producer:
            for argument in arguments:
                template = _templates.get((os.getpid(), task_name)) if countdown is None else None
                if template is not None:
                    template.publish(producer, argument)
                    continue
                if countdown is None:
                    # The first message of this task in this process goes through Celery
                    # and is recorded as the template of the following ones.
                    recorder = _RecordingProducer(producer)
                    app.send_task(task_name, (argument,), producer=recorder)  # type: ignore[arg-type]
                    if recorder.recorded is not None:
                        _templates[(os.getpid(), task_name)] = recorder.recorded
                    continue
                # By name: a web process need not have imported the task modules.
                app.send_task(task_name, (argument,), producer=producer, countdown=countdown)
    except Exception:  # any broker failure: the sweeper re-enqueues from the database
        _paused_until = time.monotonic() + tuning.enqueue_pause_after_failure()
        logger.warning(
            "eventbus.enqueue.failed task=%s count=%d (the sweeper will pick them up)",
            task_name,
            len(arguments),
            exc_info=True,
        )
        return 0
    return len(arguments)


class _MessageTemplate:
    """One task's message as Celery built it, re-sent with a new id and argument.

    Celery builds every message from scratch (routing, configuration look-ups, argument
    repr, protocol-2 headers): about half a millisecond of CPU on the small machines, paid
    once per published message in the web process. Only the task id (also the root id and
    correlation id) and the argument differ between two messages of the same task
    published without countdown, so the rest is taken from the first one Celery built.
    """

    __slots__ = ("body", "headers", "options")

    def __init__(self, body: tuple, options: dict[str, object]) -> None:
        self.body = body
        self.headers = dict(options.pop("headers") or {})  # type: ignore[call-overload]
        self.options = options

    def publish(self, producer: object, argument: object) -> None:
        task_id = str(uuid.uuid4())
        args = (argument,)
        headers = {
            **self.headers,
            "id": task_id,
            "root_id": task_id,
            "argsrepr": repr(args)[:1024],  # Celery's argsrepr_maxsize
        }
        options = {**self.options, "correlation_id": task_id, "headers": headers}
        producer.publish((args, *self.body[1:]), **options)  # type: ignore[attr-defined]


class _RecordingProducer:
    """Stands in for a kombu producer in one `send_task` call and keeps what it published."""

    def __init__(self, producer: object) -> None:
        self._producer = producer
        self.recorded: _MessageTemplate | None = None

    def publish(self, body: object, **options: object) -> object:
        result = self._producer.publish(body, **options)  # type: ignore[attr-defined]
        headers = options.get("headers")
        # Only a plain protocol-2 message is reused: (args, kwargs, embed) and its headers.
        if (
            isinstance(body, tuple)
            and len(body) == 3
            and isinstance(headers, dict)
            and headers.get("eta") is None
            and headers.get("id") == options.get("correlation_id")
            and headers.get("root_id") == headers.get("id")
        ):
            self.recorded = _MessageTemplate(body, dict(options))
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self._producer, name)


# (pid, task name) -> the template of that task's messages in this process
_templates: dict[tuple[int, str], _MessageTemplate] = {}


def publish_in_batches(single: str, many: str, ids: list[int]) -> int:
    """Publish ids as `many(chunk)` messages of up to SWEEP_MESSAGE_IDS (a lone id as
    `single(id)`); returns how many ids were published."""
    chunks = [ids[i : i + SWEEP_MESSAGE_IDS] for i in range(0, len(ids), SWEEP_MESSAGE_IDS)]
    published = 0
    for chunk in chunks:
        if len(chunk) == 1:
            published += publish(single, chunk)
        elif publish(many, [chunk]):
            published += len(chunk)
    return published


# ((pid it was made in, broker URL), pool)
_producer_pool: tuple[tuple[int, str], ProducerPool] | None = None


def _producers(app: Celery) -> ProducerPool:
    """A producer pool whose connection gives up at the first refused connect.

    Kombu's default retries a refused connect for seconds before failing; that would stall
    every publish while the broker is down, for nothing (see the module docstring). Kept
    per process (building the connection key costs more than a publish): kombu resets its
    pools in a forked child, so a pool made in the parent is not reused there.
    """
    global _producer_pool
    key = (os.getpid(), str(app.conf.broker_url))
    cached = _producer_pool
    if cached is not None and cached[0] == key:
        return cached[1]
    options = {**app.conf.broker_transport_options, "max_retries": 0}
    # One Redis client per channel instead of one per command (broker_transport.py).
    transport = transport_for(str(app.conf.broker_url))
    connection = (app.connection_for_write(transport_options=options, transport=transport)
                  if transport is not None
                  else app.connection_for_write(transport_options=options))
    pool = pools.producers[connection]
    _producer_pool = (key, pool)
    return pool


def forget_producers() -> None:
    """Build the producer pool anew on the next publish (kombu's pools were reset)."""
    global _producer_pool
    _producer_pool = None
    _templates.clear()


def enqueue_deliveries(delivery_ids: Iterable[int], countdown: float | None = None) -> int:
    """Publish `eventbus.deliver` for each id now; returns how many were published."""
    return publish(DELIVER, delivery_ids, countdown)


def enqueue_event_deliveries(delivery_ids: Sequence[int]) -> None:
    """After the commit that recorded an event: publish its deliveries in the background
    (coalesced with others into `eventbus.deliver_many`, which fans out on the worker)."""
    if delivery_ids:  # one submission per event: the lock and queue are taken once
        background.submit(DELIVER, list(delivery_ids))


def enqueue_inbound(inbound_ids: Iterable[int], countdown: float | None = None) -> int:
    """Publish `eventbus.process_inbound` for each id now."""
    return publish(PROCESS_INBOUND, inbound_ids, countdown)


def enqueue_inbound_after_commit(inbound_id: int) -> None:
    background.submit(PROCESS_INBOUND, inbound_id)


def reset_pause() -> None:
    """Forget an earlier broker failure (tests, and the sweeper once the broker is back)."""
    global _paused_until
    _paused_until = 0.0



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


__all__ = (
    "BackgroundPublisher",
    "background",
    "enqueue_deliveries",
    "enqueue_event_deliveries",
    "enqueue_inbound",
    "enqueue_inbound_after_commit",
    "forget_producers",
    "publish",
    "publish_in_batches",
    "reset_pause",
)
