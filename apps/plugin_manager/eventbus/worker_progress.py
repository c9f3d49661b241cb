"""The worker's side of the liveness check: a progress token in the broker.

Every worker node writes `kgc:worker-progress:<node>` when its consumer takes a message
(`task_received`, in the main process) and when a pool process starts or finishes a task
(`task_prerun` / `task_postrun`), at most once a second per process. A timer thread would
be no proof: in the stall this guards against (celery/celery#8030) the process and its
threads live on, only the consumer takes nothing, so only consumption may write.

The token is opaque (time, pid and a counter: unique per write); `liveness.check` compares tokens
for equality only. Writes never raise into the worker: a broker that is down takes no
messages either, and the next write after it is back records progress again.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from typing import Any

import redis

logger = logging.getLogger("kgc.eventbus.worker_progress")

KEY_PREFIX = "kgc:worker-progress:"
MIN_INTERVAL_SECONDS = 1.0
# A node that has been gone for a week is forgotten.
TTL_SECONDS = 7 * 24 * 3600

_node: str | None = None
_lock = threading.Lock()
_last_write = 0.0
_writes = itertools.count(1)  # keeps two writes within a millisecond apart
# ((pid it was made in, broker URL), client): a forked pool process makes its own.
_client: tuple[tuple[int, str], redis.Redis] | None = None


def progress_key(node: str) -> str:
    return f"{KEY_PREFIX}{node}"


def progress_pattern() -> str:
    return f"{KEY_PREFIX}*"


def _broker_client() -> redis.Redis:
    global _client
    from kgc_erp.celery import app

    key = (os.getpid(), str(app.conf.broker_url))
    if _client is None or _client[0] != key:
        client = redis.Redis.from_url(key[1], socket_connect_timeout=1, socket_timeout=1)
        _client = (key, client)
    return _client[1]


def record_progress(node: str | None = None, force: bool = False) -> bool:
    """Write this node's progress token unless written less than a second ago; returns
    whether it was written."""
    global _last_write
    node = node or _node
    if node is None:  # not a worker (an eager task in a web process or a test)
        return False
    now = time.monotonic()
    with _lock:
        if not force and now - _last_write < MIN_INTERVAL_SECONDS:
            return False
        _last_write = now
    try:
        token = f"{time.time():.3f}:{os.getpid()}:{next(_writes)}"
        _broker_client().set(progress_key(node), token, ex=TTL_SECONDS)
    except redis.RedisError:
        logger.debug("worker_progress.write_failed node=%s", node, exc_info=True)
        return False
    return True


def _on_worker_setup(sender: str | None = None, **_: Any) -> None:
    global _node
    _node = sender
    record_progress(force=True)  # a started worker counts as progress


def _on_task(**_: Any) -> None:
    record_progress()


def connect() -> None:
    """Connect the signal handlers (from the event bus's AppConfig.ready, in every process;
    they act only in a worker, once `celeryd_after_setup` has named the node)."""
    from celery.signals import celeryd_after_setup, task_postrun, task_prerun, task_received

    celeryd_after_setup.connect(_on_worker_setup, weak=False)
    task_received.connect(_on_task, weak=False)
    task_prerun.connect(_on_task, weak=False)
    task_postrun.connect(_on_task, weak=False)


__all__ = ("connect", "progress_key", "progress_pattern", "record_progress")
