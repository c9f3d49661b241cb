"""Publishing delivery / inbox tasks to the broker: a fast path that may fail.

The rows are already committed when this runs, so a broker outage must neither raise into
the request that made the change nor make it wait: the failure is logged, this process
stops trying for a few seconds, and the sweeper enqueues whatever is still due.

Publishes that follow a commit in a request (a recorded event, an accepted webhook) are
handed to a per-process background publisher thread (`publisher.py`), so the save does
not wait for the broker round trip either; worker-side publishes (retries, successors,
the sweeper) are made directly.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence

from celery import Celery
from kombu import pools
from kombu.pools import ProducerPool

from . import conf
from .publisher import background

logger = logging.getLogger("kgc.eventbus.enqueue")

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
                # By name: a web process need not have imported the task modules.
                app.send_task(task_name, (argument,), producer=producer, countdown=countdown)
    except Exception:  # any broker failure: the sweeper re-enqueues from the database
        _paused_until = time.monotonic() + conf.enqueue_pause_after_failure()
        logger.warning(
            "eventbus.enqueue.failed task=%s count=%d (the sweeper will pick them up)",
            task_name,
            len(arguments),
            exc_info=True,
        )
        return 0
    return len(arguments)


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
    pool = pools.producers[app.connection_for_write(transport_options=options)]
    _producer_pool = (key, pool)
    return pool


def forget_producers() -> None:
    """Build the producer pool anew on the next publish (kombu's pools were reset)."""
    global _producer_pool
    _producer_pool = None


def enqueue_deliveries(delivery_ids: Iterable[int], countdown: float | None = None) -> int:
    """Publish `eventbus.deliver` for each id now; returns how many were published."""
    return publish(DELIVER, delivery_ids, countdown)


def enqueue_event_deliveries(delivery_ids: Sequence[int]) -> None:
    """After the commit that recorded an event: publish its deliveries in the background
    (coalesced with others into `eventbus.deliver_many`, which fans out on the worker)."""
    for delivery_id in delivery_ids:
        background.submit(DELIVER, delivery_id)


def enqueue_inbound(inbound_ids: Iterable[int], countdown: float | None = None) -> int:
    """Publish `eventbus.process_inbound` for each id now."""
    return publish(PROCESS_INBOUND, inbound_ids, countdown)


def enqueue_inbound_after_commit(inbound_id: int) -> None:
    background.submit(PROCESS_INBOUND, inbound_id)


def reset_pause() -> None:
    """Forget an earlier broker failure (tests, and the sweeper once the broker is back)."""
    global _paused_until
    _paused_until = 0.0


__all__ = (
    "enqueue_deliveries",
    "enqueue_event_deliveries",
    "enqueue_inbound",
    "enqueue_inbound_after_commit",
    "forget_producers",
    "publish",
    "publish_in_batches",
    "reset_pause",
)
