"""Publishing through the broker transport that keeps one Redis client per channel: the
messages are the ones kombu's own transport sends, and no client is built per command."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager

import redis

from apps.plugin_manager.eventbus import broker_transport, dispatch


def test_publishes_reuse_one_client_and_land_in_the_queue(
        own_published_broker, monkeypatch) -> None:
    used: list[object] = []  # the client each command was sent with
    real_acquire = broker_transport.Channel.conn_or_acquire

    @contextmanager
    def recording_acquire(self, client=None):
        with real_acquire(self, client) as acquired:
            used.append(acquired)
            yield acquired

    monkeypatch.setattr(broker_transport.Channel, "conn_or_acquire", recording_acquire)
    broker = redis.Redis.from_url(own_published_broker.url)
    broker.delete("celery")
    try:
        assert dispatch.publish(dispatch.PROCESS_INBOUND_MANY, [[1, 2], [3], [4, 5, 6]]) == 3
        messages = [json.loads(raw) for raw in reversed(broker.lrange("celery", 0, -1))]
    finally:
        broker.delete("celery")
    assert [m["headers"]["task"] for m in messages] == [dispatch.PROCESS_INBOUND_MANY] * 3
    assert [json.loads(base64.b64decode(m["body"]))[0] for m in messages] == [
        [[1, 2]], [[3]], [[4, 5, 6]]]
    assert len({m["headers"]["id"] for m in messages}) == 3
    # Every command through this transport, one client (kombu's own builds one per command).
    assert len(used) >= 3
    assert len({id(client) for client in used}) == 1


def test_only_plain_redis_urls_get_it() -> None:
    assert broker_transport.transport_for("redis://127.0.0.1:6379/0") is broker_transport.Transport
    assert broker_transport.transport_for("amqp://guest@localhost//") is None
    assert broker_transport.transport_for("sentinel://host:26379") is None
