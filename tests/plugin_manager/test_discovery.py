"""Discovery of plugins from INSTALLED_APPS, and loud refusal of malformed manifests."""

from __future__ import annotations

import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

import tests.plugin_fixtures.alpha as alpha_module
from apps.plugin_manager.checks import check_plugins
from apps.plugin_manager.plugins import PluginAction, PluginAppConfig, SettingField, SettingKind
from apps.plugin_manager.registry import (
    installed_plugins,
    plugin_problems,
    subscription_index,
    validate_plugin,
)
from tests.plugin_fixtures.alpha.apps import AlphaPluginConfig
from tests.plugin_fixtures.beta.apps import BetaPluginConfig

from .helpers import PYTHON, REPO, subprocess_env


def make_plugin(**attrs: object) -> PluginAppConfig:
    """A plugin AppConfig instance that is not installed (for validation only)."""
    defaults: dict[str, object] = {
        "name": "tests.plugin_fixtures.candidate",
        "label": "plugin_fixture_candidate",
        "plugin_id": "candidate",
        "plugin_name": "Jelölt",
    }
    cls = type("CandidateConfig", (PluginAppConfig,), {**defaults, **attrs})
    return cls("tests.plugin_fixtures.candidate", alpha_module)


def test_both_test_plugins_are_discovered_with_their_manifests() -> None:
    plugins = {p.plugin_id: p for p in installed_plugins()}
    assert isinstance(plugins["alpha"], AlphaPluginConfig)
    assert isinstance(plugins["beta"], BetaPluginConfig)
    assert [f.name for f in plugins["alpha"].settings_schema if f.is_secret] == ["api_token"]
    index = subscription_index()
    assert ("alpha", "tests.plugin_fixtures.alpha.handlers.push_partner") in index[
        "partner.created"
    ]
    assert ("beta", "tests.plugin_fixtures.beta.handlers.notify") in index["beta.pinged"]


def test_plugin_apps_get_their_own_config_class_not_a_plain_appconfig() -> None:
    # apps.py imports PluginAppConfig too; Django must still pick the subclass.
    from django.apps import apps

    assert type(apps.get_app_config("plugin_fixture_alpha")) is AlphaPluginConfig
    assert apps.get_app_config("plugin_manager").__class__.__name__ == "PluginManagerConfig"
    assert "plugin_manager" not in {p.label for p in installed_plugins()}


def test_a_well_formed_candidate_passes() -> None:
    candidate = make_plugin(
        subscriptions={"rental.started": "pkg.handlers.on_rental"},
        settings_schema=(SettingField("url", "URL", SettingKind.URL, default="https://x.hu"),),
        actions=(PluginAction("sync", "Szinkron", "pkg.tasks.sync"),),
        health_check="pkg.health.check",
        emits=("candidate.done",),
    )
    assert plugin_problems(candidate) == []
    validate_plugin(candidate)


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ({"plugin_id": ""}, "plugin_id ''"),
        ({"plugin_id": "Bad Id"}, "plugin_id 'Bad Id'"),
        ({"plugin_id": "alpha"}, "also declared by plugin_fixture_alpha"),
        ({"plugin_name": ""}, "plugin_name"),
        ({"subscriptions": {"partner.renamed": "pkg.h"}}, "unknown event type 'partner.renamed'"),
        ({"subscriptions": {"partner.created": "not a path"}}, "is not a dotted path"),
        ({"settings_schema": (SettingField("t", "T", "password"),)}, "unknown kind 'password'"),
        ({"settings_schema": (SettingField("t", "T"), SettingField("t", "T2"))}, "declared twice"),
        ({"settings_schema": (SettingField("n", "N", SettingKind.INTEGER, default="x"),)},
         "default 'x' is not a valid integer"),
        ({"settings_schema": (SettingField("s", "S", SettingKind.SECRET, default="x"),)},
         "must not have a code default"),
        ({"settings_schema": ({"name": "x"},)}, "is not a SettingField"),
        ({"actions": (PluginAction("go", "Go", "nodots"),)}, "is not a dotted name"),
        ({"health_check": "check"}, "health_check 'check'"),
        ({"emits": ("Nope",)}, "emitted event type 'Nope'"),
        ({"enabled_setting": "not a name"}, "enabled_setting"),
    ],
)
def test_malformed_manifests_are_refused(attrs: dict[str, object], expected: str) -> None:
    candidate = make_plugin(**attrs)
    with pytest.raises(ImproperlyConfigured) as error:
        validate_plugin(candidate)
    assert expected in str(error.value)


def test_a_subscription_to_an_event_another_plugin_emits_is_accepted() -> None:
    assert plugin_problems(make_plugin(subscriptions={"beta.pinged": "pkg.h.handle"})) == []


def test_booting_with_a_malformed_plugin_fails_at_startup() -> None:
    result = subprocess.run(
        [PYTHON, "-c", "import django; django.setup(); print('BOOTED')"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
        env=subprocess_env(DJANGO_SETTINGS_MODULE="tests.plugin_fixtures.malformed.settings"),
    )
    assert result.returncode != 0
    assert "BOOTED" not in result.stdout
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert "tests.plugin_fixtures.malformed" in result.stderr
    assert "unknown event type 'partner.renamed'" in result.stderr
    assert "unknown kind 'password'" in result.stderr


def test_the_normal_settings_boot_and_pass_the_system_checks() -> None:
    assert check_plugins() == []
    call_command("check")


def test_system_check_reports_handlers_that_cannot_be_imported() -> None:
    from apps.plugin_manager.checks import _import_errors

    candidate = make_plugin(
        subscriptions={"partner.created": "tests.plugin_fixtures.alpha.handlers.missing"},
        health_check="no_such_module.check",
    )
    errors = _import_errors(candidate)
    assert [e.id for e in errors] == ["plugin_manager.E002", "plugin_manager.E002"]
    assert "tests.plugin_fixtures.alpha.handlers.missing" in errors[0].msg
