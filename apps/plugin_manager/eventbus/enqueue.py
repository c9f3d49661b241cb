"""Publishing delivery / inbox tasks to the broker: a fast path that may fail.

The rows are already committed when this runs, so a broker outage must neither raise into
the request that made the change nor make it wait: the failure is logged, this process
stops trying for a few seconds, and the sweeper enqueues whatever is still due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from celery import Celery
from kombu import pools
from kombu.pools import ProducerPool

from . import conf

logger = logging.getLogger("kgc.eventbus.enqueue")

_paused_until = 0.0  # monotonic time; process-local on purpose (it is only an optimisation)


def _publish(task_name: str, ids: Iterable[int], countdown: float | None) -> int:
    global _paused_until
    ids = list(ids)
    if not ids:
        return 0
    if time.monotonic() < _paused_until:
        logger.info("eventbus.enqueue.paused task=%s count=%d", task_name, len(ids))
        return 0
    from kgc_erp.celery import app

    try:
        with _producers(app).acquire(block=True, timeout=2) as producer:
            for item_id in ids:
                # By name: a web process need not have imported the task modules.
                app.send_task(task_name, (item_id,), producer=producer, countdown=countdown)
    except Exception:  # any broker failure: the sweeper re-enqueues from the database
        _paused_until = time.monotonic() + conf.enqueue_pause_after_failure()
        logger.warning(
            "eventbus.enqueue.failed task=%s count=%d (the sweeper will pick them up)",
            task_name,
            len(ids),
            exc_info=True,
        )
        return 0
    return len(ids)


def _producers(app: Celery) -> ProducerPool:
    """A producer pool whose connection gives up at the first refused connect.

    Kombu's default retries a refused connect for seconds before failing; that would stall
    every save while the broker is down, for nothing (see the module docstring). Looked up
    per call: kombu's pool registry is reset in forked workers, a cached pool would not be.
    """
    options = {**app.conf.broker_transport_options, "max_retries": 0}
    return pools.producers[app.connection_for_write(transport_options=options)]


def enqueue_deliveries(delivery_ids: Iterable[int], countdown: float | None = None) -> int:
    """Publish `eventbus.deliver` for each id; returns how many were published."""
    return _publish("eventbus.deliver", delivery_ids, countdown)


def enqueue_inbound(inbound_ids: Iterable[int], countdown: float | None = None) -> int:
    return _publish("eventbus.process_inbound", inbound_ids, countdown)


def reset_pause() -> None:
    """Forget an earlier broker failure (tests, and the sweeper once the broker is back)."""
    global _paused_until
    _paused_until = 0.0


__all__ = ("enqueue_deliveries", "enqueue_inbound", "reset_pause")
