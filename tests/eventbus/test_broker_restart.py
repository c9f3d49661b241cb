"""A broker that restarts without persistence loses its queue bindings as well as its
messages; the first publish after it is back must still reach the queue, whether or not a
worker has declared the queue again meanwhile (none runs here)."""

from __future__ import annotations

import pytest
import redis

from apps.plugin_manager.eventbus import dispatch as enqueue
from tests.eventbus.processes import RedisServer

pytestmark = pytest.mark.django_db

QUEUE = "celery"  # the default queue the event bus's tasks are routed to


def queued(server: RedisServer) -> int:
    return int(redis.Redis.from_url(server.url).llen(QUEUE))


def test_the_first_publish_after_a_restart_reaches_the_queue(private_redis: RedisServer) -> None:
    assert enqueue.publish(enqueue.DELIVER, [1]) == 1  # connections made, queue declared
    assert queued(private_redis) == 1

    private_redis.kill()
    assert enqueue.publish(enqueue.DELIVER, [2]) == 0  # refused: left to the sweeper
    private_redis.start()  # empty: no messages, no bindings
    enqueue.reset_pause()  # what the sweeper does before it re-publishes

    assert enqueue.publish(enqueue.DELIVER, [3]) == 1
    assert queued(private_redis) == 1  # routed to the queue, not dropped as unbound
