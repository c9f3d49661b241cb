"""Real Celery workers on the test database.

`celery_worker` is the session's shared worker: started by the first test that asks for
it, on the private broker, with the fast event-bus settings in its environment; it runs
until the session ends. `worker_factory` makes workers of a test's own (a test that kills
its worker, or needs another broker or settings); they are stopped at the end of the
session if the test has not done so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .eventbus import FAST_EVENTBUS_SETTINGS
from .processes import RedisServer, WorkerSupervisor, worker_environment

# What the shared worker runs with besides the fast event-bus settings: a fresh database
# connection per task (a flush between tests must not wait for an idle one), and a short
# Chatwoot read timeout, so a simulated hang times out in a second instead of ten.
SHARED_WORKER_SETTINGS = {
    "DB_CONN_MAX_AGE": "0",
    "CHATWOOT_READ_TIMEOUT_SECONDS": "1.0",
}


@pytest.fixture(scope="session")
def worker_factory(
    infrastructure_dir: Path, django_db_setup: None
) -> Iterator[Callable[..., WorkerSupervisor]]:
    """``worker_factory(broker, **env)``: a supervisor of a worker of the caller's own, on
    ``broker`` with the fast event-bus settings and ``env`` on top; ``.ensure()`` starts
    it (again, after a kill)."""
    supervisors: list[WorkerSupervisor] = []

    def make(broker: RedisServer, concurrency: int = 4, **env: str) -> WorkerSupervisor:
        supervisor = WorkerSupervisor(
            worker_environment(broker.url, **{**FAST_EVENTBUS_SETTINGS, **env}),
            infrastructure_dir,
            concurrency=concurrency,
        )
        supervisors.append(supervisor)
        return supervisor

    yield make
    for supervisor in supervisors:
        supervisor.stop()


@pytest.fixture(scope="session")
def celery_worker(
    worker_factory: Callable[..., WorkerSupervisor], private_broker: RedisServer
) -> WorkerSupervisor:
    """The shared worker on the private broker (started on first use, session-scoped).

    Tests that need it to see their commits ask for ``transactional_db`` as well.
    """
    supervisor = worker_factory(private_broker, **SHARED_WORKER_SETTINGS)
    supervisor.ensure()
    return supervisor
