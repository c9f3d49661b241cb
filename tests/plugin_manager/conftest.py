"""Fixtures of the plugin manager tests."""

from __future__ import annotations

import pytest
import responses as responses_lib


@pytest.fixture
def strict_http():
    """Any HTTP call not registered on the returned mock fails the test (ConnectionError)."""
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
