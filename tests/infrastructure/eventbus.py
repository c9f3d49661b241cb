"""The event bus as the tests run it: fast settings, fresh per-process state.

FAST_EVENTBUS_SETTINGS is the one copy of the settings both sides use: the test process
(through `fast_eventbus`) and every worker subprocess (through its environment): retries
in tenths of a second, short leases, and a sweeper that takes every due row (the tests
call it; beat does in production).
"""

from __future__ import annotations

from typing import Any

import pytest

from .processes import RedisServer

FAST_EVENTBUS_SETTINGS = {
    "EVENTBUS_BACKOFF_BASE_SECONDS": "0.1",
    "EVENTBUS_BACKOFF_MAX_SECONDS": "1",
    "EVENTBUS_LEASE_SECONDS": "5",
    "EVENTBUS_SWEEP_GRACE_SECONDS": "0",
    "EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS": "1",
}


@pytest.fixture
def fast_eventbus(settings: Any, celery_on_private_broker: RedisServer) -> dict[str, float]:
    """The event bus of this test: publishing to the private broker, the fast settings,
    no pause left over from a broker another test stopped, and no cached tenants (tests
    recreate the same slugs with new primary keys). Returns the settings it applied.

    Autouse in the folders whose tests use the event bus (their conftest asks for it).
    """
    from apps.plugin_manager.eventbus import dispatch as enqueue
    from apps.plugin_manager.eventbus.inbox import tenants as inbox_tenants

    enqueue.reset_pause()
    inbox_tenants.forget_all()
    applied = {name: float(value) for name, value in FAST_EVENTBUS_SETTINGS.items()}
    for name, value in applied.items():
        setattr(settings, name, value)
    return applied
