"""Helpers of the plugin manager tests: child Django processes on this run's services."""

from __future__ import annotations

import os
import sys

from devstack.shared_folder import REPOSITORY_ROOT
from tests.infrastructure.processes import database_url

REPO = REPOSITORY_ROOT
PYTHON = sys.executable

__all__ = ["PYTHON", "REPO", "database_url", "subprocess_env"]


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment for a child Django process: this run's database server and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(overrides)
    env["PYTHONPATH"] = str(REPO)
    return env
