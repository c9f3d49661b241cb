"""`.env.example` documents every setting the product reads from the environment: each
`env(...)` in settings.py and each plugin setting's `env` name."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from apps.plugin_manager.registry import installed_plugins

ENV_CALL = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _documented() -> set[str]:
    text = (Path(settings.BASE_DIR) / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_every_environment_setting_is_documented() -> None:
    source = (Path(settings.BASE_DIR) / "kgc_erp" / "settings.py").read_text(encoding="utf-8")
    read = set(ENV_CALL.findall(source))
    assert read, "settings.py reads nothing from the environment?"
    assert sorted(read - _documented()) == []


def test_every_plugin_setting_with_an_env_name_is_documented() -> None:
    names = {f.env for p in installed_plugins() for f in p.settings_schema if f.env}
    names |= {p.enabled_setting for p in installed_plugins() if p.enabled_setting}
    plugins_from_tests = {"ALPHA_MODULE_ENABLED", "ALPHA_API_URL", "ALPHA_API_TOKEN",
                          "ALPHA_BATCH_SIZE", "BETA_MODULE_ENABLED"}
    assert sorted(names - plugins_from_tests - _documented()) == []
