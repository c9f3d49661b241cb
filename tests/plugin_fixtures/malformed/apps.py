"""A plugin with a broken manifest. Never installed by the normal test settings: the
discovery tests boot Django with `tests.plugin_fixtures.malformed.settings` in a
subprocess and expect startup to fail with ImproperlyConfigured."""

from apps.plugin_manager.plugins import PluginAppConfig, SettingField


class MalformedPluginConfig(PluginAppConfig):
    name = "tests.plugin_fixtures.malformed"
    label = "plugin_fixture_malformed"

    plugin_id = ""  # missing
    plugin_name = "Hibás (teszt)"
    subscriptions = {"partner.renamed": "tests.plugin_fixtures.malformed.handlers.handle"}
    settings_schema = (SettingField("token", "Token", kind="password"),)  # type: ignore[arg-type]
