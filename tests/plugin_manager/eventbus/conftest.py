"""Fixtures of the event bus tests: the gamma test plugin switched on, a recording HTTP
target, and the fast event bus on the session's private broker (tests/infrastructure)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kgc_erp.tenants.models import Tenant
from tests.factories import TenantFactory
from tests.infrastructure.targets import RecordingTarget

from .helpers import SHORT_LEASE_SECONDS


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float], settings: Any) -> None:
    settings.EVENTBUS_LEASE_SECONDS = float(SHORT_LEASE_SECONDS)


@pytest.fixture
def target() -> Iterator[RecordingTarget]:
    server = RecordingTarget().start()
    yield server
    server.stop()


@pytest.fixture
def tenant(db: None) -> Tenant:
    return TenantFactory(slug="franchise-gyor", name="Győr")


@pytest.fixture
def tenant_tx(transactional_db: None) -> Tenant:
    """A tenant that exists in a transactional test (flushed tables have no headquarters)."""
    return TenantFactory(slug="franchise-szeged", name="Szeged")
