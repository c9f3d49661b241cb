"""A broker that restarts without persistence loses its queue bindings as well as its
messages; the first publish after it is back must still reach the queue, whether or not a
worker has declared the queue again meanwhile (none runs here)."""

from __future__ import annotations

import pytest
import redis

from apps.plugin_manager.eventbus import dispatch as enqueue
from tests.infrastructure.broker import point_celery_at
from tests.infrastructure.processes import RedisServer

pytestmark = pytest.mark.django_db

QUEUE = "celery"  # the default queue the event bus's tasks are routed to


def queued(server: RedisServer) -> int:
    return int(redis.Redis.from_url(server.url).llen(QUEUE))


@pytest.fixture
def own_broker(redis_factory) -> RedisServer:
    """A broker of this test's own (it stops it), which this process publishes to."""
    server = redis_factory()
    point_celery_at(server.url)
    return server


def test_the_first_publish_after_a_restart_reaches_the_queue(own_broker: RedisServer) -> None:
    assert enqueue.publish(enqueue.DELIVER, [1]) == 1  # connections made, queue declared
    assert queued(own_broker) == 1

    own_broker.kill()
    assert enqueue.publish(enqueue.DELIVER, [2]) == 0  # refused: left to the sweeper
    own_broker.start()  # empty: no messages, no bindings
    enqueue.reset_pause()  # what the sweeper does before it re-publishes

    assert enqueue.publish(enqueue.DELIVER, [3]) == 1
    assert queued(own_broker) == 1  # routed to the queue, not dropped as unbound
