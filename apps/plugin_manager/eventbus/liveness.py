"""Is a Celery worker consuming? The decision behind `manage.py worker_liveness`.

A ping is not enough: after a broker restart a worker can stay connected, answer
`celery inspect ping` and never take another message (kombu raising AttributeError from
`restore_unacked` while it closes the lost connection, celery/celery#8030). What tells
that worker apart is work waiting in its queue while it makes no progress, so that is
what this module checks:

- backlog: messages in the broker queue (Redis `LLEN` of the queue's list and of its
  priority lists), optionally also database rows the worker should have taken long ago
  (pending deliveries, received inbound webhooks due for longer than the stall window
  plus the sweeper's grace period);
- progress: the token the worker writes whenever it takes or finishes a task
  (`apps.plugin_manager.eventbus.worker_progress`), one key per worker node.

The progress token is compared for equality only, never with this machine's clock, so a
worker on another host with a skewed clock is judged correctly. The check keeps a small
"watch" key in the broker (since when it has seen a backlog with the same token): a
worker is stalled when every check during the stall window saw a backlog and the token
never changed. An idle worker (nothing queued) is healthy however old its token is, and
so is a busy one whose token keeps changing. A broker restart loses the watch and the
token together; the watch then starts again, so a stalled worker is reported one stall
window after the restart.

The stall window must be longer than the longest task (a worker whose every pool slot is
busy with one task for the whole window takes nothing from the queue meanwhile) and than
Celery's reconnect backoff (up to 30 s between attempts: a worker that has not yet noticed
that the broker is back is not stalled, only late).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.db import connection
from django.utils import timezone

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery
from apps.plugin_manager.eventbus.worker_progress import progress_key, progress_pattern

DEFAULT_QUEUE = "celery"
DEFAULT_STALL_SECONDS = 60.0
# Kombu's Redis transport keeps a queue's prioritised messages in lists named
# "<queue>\x06\x16<priority>" beside the plain "<queue>" list (default priority steps).
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)
WATCH_PREFIX = "kgc:worker-liveness:watch:"
# The watch outlives any sensible check interval; an abandoned one expires by itself.
WATCH_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    reason: str
    queued: int
    database_due: int
    progress: str | None
    watched_seconds: float

    def describe(self) -> str:
        state = "healthy" if self.healthy else "STALLED"
        return (
            f"{state}: {self.reason} (queued={self.queued}, database_due={self.database_due}, "
            f"progress={self.progress or 'none'}, watched={self.watched_seconds:.0f}s)"
        )


def queued_messages(client: redis.Redis, queue: str) -> int:
    """Messages waiting in the broker for `queue` (all priority lists)."""
    names = [queue, *(f"{queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS)]
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return sum(int(n) for n in pipe.execute())


def database_due(stall: timedelta) -> int:
    """Rows a consuming worker (plus the sweeper) would have taken: due for longer than
    the stall window plus the sweeper's grace period, and not leased to anyone."""
    now = timezone.now()
    due_by = now - stall - tuning.sweep_grace()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM eventbus_delivery
                     WHERE status = %(pending)s AND next_attempt_at <= %(due_by)s
                       AND (locked_until IS NULL OR locked_until < %(now)s))
                 + (SELECT count(*) FROM eventbus_inbounddelivery
                     WHERE status = %(received)s AND next_attempt_at <= %(due_by)s
                       AND (locked_until IS NULL OR locked_until < %(now)s))
            """,
            {
                "pending": Delivery.Status.PENDING,
                "received": InboundDelivery.Status.RECEIVED,
                "due_by": due_by,
                "now": now,
            },
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def read_progress(client: redis.Redis, node: str | None) -> str | None:
    """The progress token of `node`, or of all nodes together when `node` is None."""
    if node is not None:
        value = client.get(progress_key(node))
        return value.decode() if isinstance(value, bytes) else value
    keys = sorted(client.scan_iter(match=progress_pattern(), count=1000))
    if not keys:
        return None
    values = client.mget(keys)
    # Any node's progress counts: the token is the set of every node's token.
    return "|".join(v.decode() if isinstance(v, bytes) else str(v) for v in values if v)


def check(
    client: redis.Redis,
    *,
    queue: str = DEFAULT_QUEUE,
    node: str | None = None,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    count_database: bool = False,
    now: float | None = None,
) -> Verdict:
    """One liveness decision; updates the watch key in the broker (see the module doc)."""
    now = time.time() if now is None else now
    queued = queued_messages(client, queue)
    due = database_due(timedelta(seconds=stall_seconds)) if count_database else 0
    progress = read_progress(client, node)
    watch_key = f"{WATCH_PREFIX}{queue}:{node or '*'}"
    if queued == 0 and due == 0:
        client.delete(watch_key)
        return Verdict(True, "nothing waits", queued, due, progress, 0.0)

    raw = client.get(watch_key)
    watch = json.loads(raw) if raw else None
    if watch is None or watch.get("progress") != progress:
        # First sight of this backlog, or the worker moved since the last check.
        state = {"since": now, "progress": progress}
        client.set(watch_key, json.dumps(state), ex=WATCH_TTL_SECONDS)
        reason = "work waits, watching" if watch is None else "work waits, worker progressing"
        return Verdict(True, reason, queued, due, progress, 0.0)
    watched = max(0.0, now - float(watch["since"]))
    if watched >= stall_seconds:
        reason = f"work waits and the worker made no progress for {watched:.0f}s"
        return Verdict(False, reason, queued, due, progress, watched)
    return Verdict(True, "work waits, no progress yet", queued, due, progress, watched)


def broker_client(url: str) -> redis.Redis:
    # Short timeouts: a health check must answer within the orchestrator's timeout.
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


__all__ = (
    "DEFAULT_QUEUE",
    "DEFAULT_STALL_SECONDS",
    "Verdict",
    "broker_client",
    "check",
    "database_due",
    "queued_messages",
    "read_progress",
)
