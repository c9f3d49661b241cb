"""Suite-wide fixtures. Tests run against the real PostgreSQL (pgvector) and real Redis
that `make test` provides through DATABASE_URL and REDIS_URL."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    # The cache is the real Redis; start every test from an empty one.
    cache.clear()
