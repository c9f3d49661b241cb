"""`manage.py plugins ...`: the same services as the admin, audited as "cli"."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.plugin_manager import runtime
from apps.plugin_manager.models import PluginToggleAudit
from apps.plugin_manager.services import update_settings
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("plugins", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def configured() -> None:
    update_settings("alpha", None, {"base_url": "https://alpha.example.test",
                                    "api_token": "tok-0123456789abcd"})


def test_list_shows_every_plugin_per_scope() -> None:
    TenantFactory(slug="franchise-a")
    lines = run("list").splitlines()
    assert lines[0].startswith("bővítmény")
    rows = [line.split()[:3] for line in lines[1:]]
    assert ["alpha", "globális", "ki"] in rows
    assert ["alpha", "franchise-a", "ki"] in rows
    assert ["beta", "kgc-hq", "ki"] in rows


def test_enable_per_tenant_and_disable_globally(configured) -> None:
    franchise_a = TenantFactory(slug="franchise-a")
    franchise_b = TenantFactory(slug="franchise-b")
    assert "alpha (franchise-a): bekapcsolva" in run("enable", "alpha", "--tenant", "franchise-a")
    assert runtime.is_enabled("alpha", franchise_a.pk) is True
    assert runtime.is_enabled("alpha", franchise_b.pk) is False

    run("enable", "alpha")
    run("disable", "alpha", "--tenant", "franchise-b")
    assert runtime.is_enabled("alpha", franchise_b.pk) is False
    assert runtime.is_enabled("alpha", None) is True

    assert "kikapcsolva" in run("disable", "alpha")
    assert runtime.is_enabled("alpha", None) is False
    assert runtime.is_enabled("alpha", franchise_a.pk) is True  # its own row still says on

    run("inherit", "alpha", "--tenant", "franchise-a")
    assert runtime.is_enabled("alpha", franchise_a.pk) is False

    audits = PluginToggleAudit.objects.order_by("created_at", "id")
    assert {a.actor for a in audits} == {"cli"}
    assert all(a.user_id is None for a in audits)
    assert [(a.action, a.scope_label) for a in audits if a.action != "settings"] == [
        ("enable", franchise_a.name), ("enable", "Globális"), ("disable", franchise_b.name),
        ("disable", "Globális"), ("inherit", franchise_a.name),
    ]


def test_enable_with_missing_settings_names_the_fields() -> None:
    with pytest.raises(CommandError) as error:
        run("enable", "alpha")
    assert "base_url" in str(error.value) and "api_token" in str(error.value)
    assert runtime.is_enabled("alpha", None) is False


def test_unknown_plugin_or_tenant_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="Ismeretlen bővítmény: nincs"):
        run("enable", "nincs")
    with pytest.raises(CommandError, match="Ismeretlen telephely: sehol"):
        run("disable", "alpha", "--tenant", "sehol")


def test_check_runs_the_health_checks(configured, strict_http) -> None:
    strict_http.get("https://alpha.example.test/health", json={"status": "ok"})
    run("enable", "alpha")
    out = run("check", "alpha")
    assert "alpha" in out and "healthy" in out
    assert len(strict_http.calls) == 1
    out = run("check")
    assert "beta" in out and "disabled" in out
