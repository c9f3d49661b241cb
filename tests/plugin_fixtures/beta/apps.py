"""Test plugin "beta": no env flag (starts switched off), declares an event type of its own."""

from apps.plugin_manager.plugins import PluginAppConfig, SettingField, SettingKind


class BetaPluginConfig(PluginAppConfig):
    name = "tests.plugin_fixtures.beta"
    label = "plugin_fixture_beta"
    verbose_name = "Beta tesztbővítmény"

    plugin_id = "beta"
    plugin_name = "Beta (teszt)"
    description = "Bérlési és partnerértesítések egy HTTP végpontra (tesztbővítmény)."
    enabled_setting = None
    emits = ("beta.pinged",)
    subscriptions = {
        "partner.updated": "tests.plugin_fixtures.beta.handlers.notify",
        "rental.started": "tests.plugin_fixtures.beta.handlers.notify",
        "beta.pinged": "tests.plugin_fixtures.beta.handlers.notify",
    }
    settings_schema = (
        SettingField("endpoint", "Beta végpont", SettingKind.URL, required=True),
        SettingField("shared_secret", "Beta közös titok", SettingKind.SECRET),
        SettingField("timeout_seconds", "Időkorlát (mp)", SettingKind.INTEGER, default=3),
    )
    health_check = "tests.plugin_fixtures.beta.health.check"
