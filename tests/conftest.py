"""Suite-wide fixtures. Tests run against the real PostgreSQL (pgvector) and real Redis
that `make test` provides through DATABASE_URL and REDIS_URL; the infrastructure plugin
(tests/infrastructure) adds the private broker, Celery workers and the fast event bus."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.core.management.base import CommandError
from django.test import TransactionTestCase

from devstack.shared_folder import SharedFolderMissing, shared_folder
from tests.infrastructure import PLUGINS

pytest_plugins = PLUGINS


def pytest_sessionstart(session: pytest.Session) -> None:
    # The contracts the tests check against live in the shared folder: without it, one
    # clear message instead of a collection error per module.
    try:
        shared_folder()
    except SharedFolderMissing as missing:
        pytest.exit(str(missing), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    # The cache is the real Redis; start every test from an empty one.
    cache.clear()


_TRANSACTIONAL_FIXTURES = frozenset({"transactional_db", "live_server"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test restores the migrated rows when it ends.

    A transactional test ends with a flush. Without serialized rollback Django re-creates
    the content types with new ids and drops the rows the migrations made (the
    headquarters tenant, beat schedules); a later test with serialized rollback then fails
    to restore its snapshot over them, or a later test misses them, depending on which
    tests a run selects. Serialized rollback on all of them keeps every order working.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = kwargs.get("transaction", False) or bool(
            _TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        if transactional and not kwargs.get("serialized_rollback"):
            item.add_marker(
                pytest.mark.django_db(**{**kwargs, "transaction": True,
                                         "serialized_rollback": True})
            )


_FLUSH_ATTEMPTS = 5
_flush_once = TransactionTestCase._fixture_teardown


def _flush_retrying_deadlocks(self: TransactionTestCase) -> None:
    """The end-of-test flush, retried when PostgreSQL picks it as a deadlock's victim.

    A Celery worker shared by a module's tests may still be finishing a transaction when a
    test ends; its share lock and the flush's TRUNCATE can then wait on each other and
    PostgreSQL aborts one of them. The worker's transaction finishes on its own, so the
    flush is simply run again; anything other than a deadlock still fails at once.
    """
    for attempt in range(1, _FLUSH_ATTEMPTS + 1):
        try:
            _flush_once(self)
            return
        except CommandError as error:
            if "deadlock detected" not in str(error.__cause__) or attempt == _FLUSH_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)


TransactionTestCase._fixture_teardown = _flush_retrying_deadlocks  # type: ignore[method-assign]
