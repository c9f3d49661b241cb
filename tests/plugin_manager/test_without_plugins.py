"""The ERP without any optional app: with `apps.*` (plugin manager, event bus, every
plugin) removed from INSTALLED_APPS it starts, migrates, passes `check` and its core tests.
Run in subprocesses with `tests.settings_without_plugins`, on databases of their own."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from .helpers import PYTHON, REPO, database_url, subprocess_env

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SETTINGS = "tests.settings_without_plugins"


def admin_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def scratch_database() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_noplugins_migrate"
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=subprocess_env(DJANGO_SETTINGS_MODULE=SETTINGS, **env))


def test_settings_really_leave_every_optional_app_out() -> None:
    result = run([PYTHON, "-c", "import django; django.setup(); from django.apps import apps; "
                  "print(sorted(a.name for a in apps.get_app_configs()))"])
    assert result.returncode == 0, result.stderr
    assert "kgc_erp.partners" in result.stdout
    assert "apps." not in result.stdout


def test_erp_migrates_and_checks_without_plugins(scratch_database: str) -> None:
    url = database_url(scratch_database)
    migrate = run([PYTHON, "manage.py", "migrate", "--noinput"], DATABASE_URL=url)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "plugin_manager" not in migrate.stdout
    check = run([PYTHON, "manage.py", "check"], DATABASE_URL=url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout


def test_core_test_suite_passes_without_plugins() -> None:
    result = run([PYTHON, "-m", "pytest", "tests/kgc_erp", "-q", "-p", "no:cacheprovider",
                  "--ds", SETTINGS, "--create-db"])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
