"""Test plugin "alpha": pushes partners to a configurable HTTP endpoint.

It is a real plugin in every respect the manager cares about (schema with a secret, event
subscriptions with handlers, a health check calling its configured URL, a long action), so
the manager's behaviour is tested through the public manifest, not through mocks.
"""

from apps.plugin_manager.plugins import (
    PluginAction,
    PluginAppConfig,
    SettingField,
    SettingKind,
)


class AlphaPluginConfig(PluginAppConfig):
    name = "tests.plugin_fixtures.alpha"
    label = "plugin_fixture_alpha"
    verbose_name = "Alpha tesztbővítmény"

    plugin_id = "alpha"
    plugin_name = "Alpha (teszt)"
    description = "Partnerek továbbítása egy HTTP végpontra (tesztbővítmény)."
    enabled_setting = "ALPHA_MODULE_ENABLED"
    subscriptions = {
        "partner.created": "tests.plugin_fixtures.alpha.handlers.push_partner",
        "partner.updated": "tests.plugin_fixtures.alpha.handlers.push_partner",
    }
    settings_schema = (
        SettingField("base_url", "Alpha alap URL", SettingKind.URL, required=True,
                     env="ALPHA_API_URL"),
        SettingField("api_token", "Alpha API token", SettingKind.SECRET, required=True,
                     env="ALPHA_API_TOKEN"),
        SettingField("batch_size", "Kötegméret", SettingKind.INTEGER, default=50),
        SettingField("verbose", "Részletes napló", SettingKind.BOOLEAN, default=False),
    )
    health_check = "tests.plugin_fixtures.alpha.health.check"
    actions = (
        PluginAction("initial_sync", "Kezdeti szinkronizálás",
                     "tests.plugin_fixtures.alpha.tasks.initial_sync", long_running=True),
    )
