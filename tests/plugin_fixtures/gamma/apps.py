"""Test plugin "gamma": the event bus's own test subscriber and inbound webhook sources.

Its handler POSTs the re-read state of the event's object to `target_url` and classifies
the answer with the event bus's error types, exactly as a real integration would; its
sources accept Chatwoot- and Twenty-formatted webhooks with the shared verifiers.
"""

from apps.plugin_manager.plugins import PluginAppConfig, SettingField, SettingKind

PUSH = "tests.plugin_fixtures.gamma.handlers.push_state"


class GammaPluginConfig(PluginAppConfig):
    name = "tests.plugin_fixtures.gamma"
    label = "plugin_fixture_gamma"
    verbose_name = "Gamma tesztbővítmény"

    plugin_id = "gamma"
    plugin_name = "Gamma (teszt)"
    description = "Eseménybusz tesztbővítmény: állapot küldése HTTP végpontra, bejövő webhookok."
    enabled_setting = None
    emits = ("gamma.pinged",)
    subscriptions = {
        "partner.created": PUSH,
        "partner.updated": PUSH,
        "partner.deleted": PUSH,
        "rental.started": PUSH,
        "worklog.status_changed": PUSH,
        "worklog.quote_ready": PUSH,
        "gamma.pinged": PUSH,
    }
    settings_schema = (
        SettingField("target_url", "Cél URL", SettingKind.URL, required=True),
        SettingField("timeout_ms", "Időkorlát (ms)", SettingKind.INTEGER, default=2000),
        SettingField("chatwoot_secret", "Chatwoot webhook titok", SettingKind.SECRET),
        SettingField("chatwoot_account_id", "Chatwoot fiók azonosító", SettingKind.INTEGER),
        SettingField("twenty_secret", "Twenty webhook titok", SettingKind.SECRET),
    )
    webhook_sources = {
        "gamma-chatwoot": "tests.plugin_fixtures.gamma.sources.GammaChatwootSource",
        "gamma-twenty": "tests.plugin_fixtures.gamma.sources.GammaTwentySource",
    }
