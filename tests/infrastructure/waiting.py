"""`wait_for`: the one way tests wait for something another process or thread does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """What `wait_for` raises when the predicate stayed falsy until the timeout."""


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 30.0,
    interval: float = 0.05,
    message: str = "",
) -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something truthy, and
    return that; raise `WaitTimeout` naming ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


@pytest.fixture(name="wait_for")
def wait_for_fixture() -> Callable[..., object]:
    """`wait_for` as a fixture, for tests that prefer not to import it."""
    return wait_for
