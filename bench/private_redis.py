"""A benchmark's own redis-server as this process's broker and cache.

Benchmarks never publish to the machine's shared Redis: what they queue would reach
whatever else consumes it, and its load would land in their figures. The server is
started on a free port under a fresh temporary directory and stopped on exit; the
environment is set before Django is configured, so the settings pick it up.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from devstack.redis import start_private_redis


class PrivateRedis(NamedTuple):
    workdir: Path  # the benchmark's temporary directory (the server's data lives under it)
    url: str


@contextmanager
def private_redis(prefix: str) -> Iterator[PrivateRedis]:
    """REDIS_URL and CELERY_BROKER_URL point at a redis-server of this run's own."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    process, url = start_private_redis(workdir / "redis")
    os.environ["REDIS_URL"] = url
    os.environ["CELERY_BROKER_URL"] = url
    try:
        yield PrivateRedis(workdir, url)
    finally:
        process.terminate()
        process.wait(timeout=10)
