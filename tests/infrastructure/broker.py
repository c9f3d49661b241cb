"""Where this process's Celery app publishes: the private broker of the test session.

`private_broker` is one redis-server for the whole session (never the stack's REDIS_URL,
so no test message reaches anything else). `celery_on_private_broker` points this
process's Celery app at it; it is the only place the tests re-point Celery per test, and
a no-op when Celery already publishes there. A test that damages a broker takes its own
from `redis_factory` and points Celery at it with `point_celery_at`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .processes import RedisServer


def point_celery_at(broker_url: str) -> None:
    """Make this (test) process publish to another broker.

    Called per test by `celery_on_private_broker`: pytest-django runs every directory's
    transactional tests after the others, and a test with a broker of its own may have
    moved Celery meanwhile.
    """
    from kombu import pools

    from apps.plugin_manager.eventbus.dispatch import forget_producers
    from kgc_erp.celery import app as celery_app

    if celery_app.conf.broker_url == broker_url:
        return
    celery_app.conf.broker_url = broker_url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._after_fork()  # Celery's own hook: drops cached connection/producer pools
    pools.reset()  # kombu's global producer pools, keyed by connection, too
    forget_producers()  # and the event bus's handle on one of them


@pytest.fixture(scope="session")
def infrastructure_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # pytest keeps the last few of these: the worker logs are there after a failure.
    return tmp_path_factory.mktemp("infrastructure")


@pytest.fixture(scope="session")
def redis_factory(infrastructure_dir: Path) -> Iterator[Callable[[], RedisServer]]:
    """Starts private redis-servers of their own (each on a free port); all are killed at
    the end of the session, if a test has not done so."""
    servers: list[RedisServer] = []

    def start() -> RedisServer:
        server = RedisServer(infrastructure_dir / f"redis-{len(servers)}").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


@pytest.fixture(scope="session")
def private_broker(redis_factory: Callable[[], RedisServer]) -> RedisServer:
    """The session's one private redis-server, shared by every test that publishes."""
    return redis_factory()


@pytest.fixture
def own_published_broker(redis_factory: Callable[[], RedisServer]) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which this process publishes to during the test.

    For tests that read back what was published: a worker another module started on the
    session's broker may still be consuming it (pytest-django runs transactional tests
    last, after the modules that start workers), and would take the message first.
    """
    server = redis_factory()
    point_celery_at(server.url)
    try:
        yield server
    finally:
        server.kill()  # the next test's `celery_on_private_broker` points Celery back


@pytest.fixture
def celery_on_private_broker(private_broker: RedisServer) -> RedisServer:
    """This process's Celery app publishes to the private broker during the test."""
    point_celery_at(private_broker.url)
    return private_broker
