"""runtime.py: precedence tenant row > global row > env flag, subscribers, settings, circuit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from apps.plugin_manager import crypto, runtime
from apps.plugin_manager.models import PluginState
from apps.plugin_manager.services import set_enabled, update_settings
from apps.plugin_manager.status import HealthStatus
from tests.factories import TenantFactory, headquarters

pytestmark = pytest.mark.django_db

ALPHA_SETTINGS = {"base_url": "https://alpha.example.test/api", "api_token": "tok-0123456789abcd"}


def configure_alpha(tenant=None) -> None:
    update_settings("alpha", tenant, ALPHA_SETTINGS)


def test_no_rows_follow_the_env_flag() -> None:
    hq = headquarters()
    assert runtime.is_enabled("alpha", None) is False
    assert runtime.is_enabled("alpha", hq.pk) is False
    with override_settings(ALPHA_MODULE_ENABLED=True):
        assert runtime.is_enabled("alpha", None) is True
        assert runtime.is_enabled("alpha", hq.pk) is True
    # beta names no env flag: off until an admin switches it on.
    assert runtime.is_enabled("beta", None) is False


def test_unknown_plugin_is_never_enabled() -> None:
    assert runtime.is_enabled("no_such_plugin", None) is False
    PluginState.objects.create(plugin_id="removed_plugin", enabled=True)
    assert runtime.is_enabled("removed_plugin", None) is False
    assert runtime.subscribers_for_event("partner.created", None) == []


def test_database_wins_over_env_and_tenant_row_overrides_global() -> None:
    franchise_a = TenantFactory(slug="franchise-a")
    franchise_b = TenantFactory(slug="franchise-b")
    configure_alpha()
    with override_settings(ALPHA_MODULE_ENABLED=True):
        set_enabled("alpha", None, False)
        assert runtime.is_enabled("alpha", None) is False
        assert runtime.is_enabled("alpha", franchise_a.pk) is False

    set_enabled("alpha", franchise_a, True)
    assert runtime.is_enabled("alpha", franchise_a.pk) is True
    assert runtime.is_enabled("alpha", franchise_b.pk) is False

    set_enabled("alpha", None, True)
    set_enabled("alpha", franchise_b, False)
    assert runtime.is_enabled("alpha", franchise_a.pk) is True
    assert runtime.is_enabled("alpha", franchise_b.pk) is False
    assert runtime.is_enabled("alpha", headquarters().pk) is True

    set_enabled("alpha", franchise_b, None)  # back to inheriting the global row
    assert runtime.is_enabled("alpha", franchise_b.pk) is True


def test_subscribers_for_event_lists_only_enabled_subscribers() -> None:
    tenant = TenantFactory(slug="franchise-a")
    configure_alpha()
    update_settings("beta", None, {"endpoint": "https://beta.example.test"})
    assert runtime.subscribers_for_event("partner.updated", tenant.pk) == []

    set_enabled("alpha", None, True)
    assert runtime.subscribers_for_event("partner.updated", tenant.pk) == [
        ("alpha", "tests.plugin_fixtures.alpha.handlers.push_partner")
    ]
    set_enabled("beta", tenant, True)
    assert sorted(runtime.subscribers_for_event("partner.updated", tenant.pk)) == [
        ("alpha", "tests.plugin_fixtures.alpha.handlers.push_partner"),
        ("beta", "tests.plugin_fixtures.beta.handlers.notify"),
    ]
    assert runtime.subscribers_for_event("partner.updated", None) == [
        ("alpha", "tests.plugin_fixtures.alpha.handlers.push_partner")
    ]
    assert runtime.subscribers_for_event("rental.started", tenant.pk) == [
        ("beta", "tests.plugin_fixtures.beta.handlers.notify")
    ]
    assert runtime.subscribers_for_event("order.arrived", tenant.pk) == []


def test_subscribers_for_event_costs_no_query_once_the_snapshot_is_warm(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        configure_alpha()
        set_enabled("alpha", None, True)
    runtime.subscribers_for_event("partner.created", None)  # warm
    with CaptureQueriesContext(connection) as queries:
        for _ in range(50):
            assert runtime.subscribers_for_event("partner.created", None)
    assert len(queries) == 0


def test_effective_settings_layers_and_decrypts_secrets() -> None:
    tenant = TenantFactory(slug="franchise-a")
    with override_settings(ALPHA_API_URL="https://env.example.test/", ALPHA_API_TOKEN=""):
        assert runtime.get_plugin_settings("alpha", None) == {
            "base_url": "https://env.example.test",
            "api_token": "",
            "batch_size": 50,
            "verbose": False,
        }
        update_settings("alpha", None, {"api_token": "global-secret-token", "batch_size": "20"})
        update_settings("alpha", tenant, {"base_url": "https://a.example.test",
                                          "verbose": "igen"})
        assert runtime.get_plugin_settings("alpha", tenant.pk) == {
            "base_url": "https://a.example.test",
            "api_token": "global-secret-token",
            "batch_size": 20,
            "verbose": True,
        }
        assert runtime.get_plugin_settings("alpha", None)["base_url"] == (
            "https://env.example.test"
        )
    stored = PluginState.objects.get(plugin_id="alpha", tenant=None).settings
    assert stored["api_token"] != "global-secret-token"
    assert crypto.decrypt(stored["api_token"]) == "global-secret-token"


def test_enabling_validates_settings_and_names_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        set_enabled("alpha", None, True)
    assert set(error.value.message_dict) == {"base_url", "api_token"}
    assert "kötelező" in error.value.message_dict["api_token"][0]
    assert runtime.is_enabled("alpha", None) is False  # nothing was switched

    with pytest.raises(ValidationError) as error:
        update_settings("alpha", None, {"base_url": "nem-url", "batch_size": "sok"})
    assert set(error.value.message_dict) == {"base_url", "batch_size"}


def test_circuit_opens_only_while_down() -> None:
    tenant = TenantFactory(slug="franchise-a")
    configure_alpha()
    set_enabled("alpha", None, True)
    assert runtime.is_circuit_open("alpha", tenant.pk) is False
    state = PluginState.objects.get(plugin_id="alpha", tenant=None)
    state.health_status = HealthStatus.DOWN
    state.save()
    assert runtime.is_circuit_open("alpha", None) is True
    assert runtime.is_circuit_open("alpha", tenant.pk) is True  # inherits the global check
    PluginState.objects.create(plugin_id="alpha", tenant=tenant,
                               health_status=HealthStatus.HEALTHY)
    assert runtime.is_circuit_open("alpha", tenant.pk) is False
    assert runtime.is_circuit_open("alpha", None) is True


def test_registry_accessors() -> None:
    ids = [p.plugin_id for p in runtime.installed_plugins()]
    assert {"alpha", "beta"} <= set(ids)
    assert runtime.get_plugin("alpha").plugin_name == "Alpha (teszt)"
    with pytest.raises(runtime.UnknownPlugin):
        runtime.get_plugin("nope")


def test_a_rolled_back_switch_is_not_remembered(django_capture_on_commit_callbacks) -> None:
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        configure_alpha()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        set_enabled("alpha", None, True)
        assert runtime.is_enabled("alpha", None) is True  # visible inside its transaction
        raise Abort
    assert runtime.is_enabled("alpha", None) is False


def test_plugin_toggled_is_sent_once_the_switch_commits(django_capture_on_commit_callbacks) -> None:
    from apps.plugin_manager.signals import plugin_toggled

    tenant = TenantFactory(slug="franchise-a")
    configure_alpha()
    received: list[tuple[str, int | None, bool]] = []

    def receiver(sender: object, **kwargs: object) -> None:
        received.append((kwargs["plugin_id"], kwargs["tenant_id"], kwargs["enabled"]))

    plugin_toggled.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            set_enabled("alpha", tenant, True)
            assert received == []  # not before the change is committed
        with django_capture_on_commit_callbacks(execute=True):
            set_enabled("alpha", None, False)
            set_enabled("alpha", tenant, None)  # inherits the global "off"
    finally:
        plugin_toggled.disconnect(receiver)
    assert received == [("alpha", tenant.pk, True), ("alpha", None, False),
                        ("alpha", tenant.pk, False)]


def test_plugin_settings_changed_is_sent_with_the_scope_before_and_after_without_secrets(
) -> None:
    from apps.plugin_manager.signals import plugin_settings_changed

    tenant = TenantFactory(slug="franchise-b")
    configure_alpha()
    received: list[dict[str, object]] = []

    def receiver(sender: object, **kwargs: object) -> None:
        received.append(kwargs)

    plugin_settings_changed.connect(receiver)
    try:
        update_settings("alpha", tenant, {"base_url": "https://other.example.test/api"})
        update_settings("alpha", tenant, {"base_url": "https://other.example.test/api"})  # same
        update_settings("alpha", None, {"api_token": "tok-new-0123456789"})
    finally:
        plugin_settings_changed.disconnect(receiver)
    first, second = received  # an unchanged value sends nothing
    assert (first["plugin_id"], first["tenant_id"], first["changed"]) == (
        "alpha", tenant.pk, ["base_url"])
    assert first["before"]["base_url"] == ALPHA_SETTINGS["base_url"]  # inherited from global
    assert first["after"]["base_url"] == "https://other.example.test/api"
    assert (second["tenant_id"], second["changed"]) == (None, ["api_token"])
    for kwargs in received:  # secrets are named, never valued
        assert "api_token" not in kwargs["before"] and "api_token" not in kwargs["after"]


def test_the_cache_being_down_costs_a_query_but_never_a_wrong_answer(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        configure_alpha()
        set_enabled("alpha", None, True)
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=unreachable):  # Django drops its cache handlers here
        with CaptureQueriesContext(connection) as queries:
            assert runtime.is_enabled("alpha", None) is True
            assert runtime.subscribers_for_event("partner.created", None) == [
                ("alpha", "tests.plugin_fixtures.alpha.handlers.push_partner")
            ]
        assert len(queries) == 2
