"""Fixtures of the plugin manager tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import responses as responses_lib

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def strict_http():
    """Any HTTP call not registered on the returned mock fails the test (ConnectionError)."""
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment for a child Django process: this run's database server and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(overrides)
    env["PYTHONPATH"] = str(REPO)
    return env


PYTHON = sys.executable


def database_url(name: str) -> str:
    """A DATABASE_URL for a child process: this run's server, the given database name."""
    from django.db import connection

    db = connection.settings_dict
    # django-environ keeps a socket directory given as ?host=... in OPTIONS.
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    if not host or host.startswith("/"):
        return f"postgres://{credentials}@/{name}" + (f"?host={host}" if host else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{name}"
