"""System checks: the same manifest validation as at startup, plus what is too slow or too
invasive for `ready()` (importing every dotted path a plugin declares)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .plugins import PluginAppConfig
from .registry import installed_plugins, plugin_problems


@register(Tags.compatibility)
def check_plugins(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for plugin in installed_plugins():
        if app_configs is not None and plugin not in app_configs:
            continue
        messages += [
            Error(problem, obj=plugin.name, id="plugin_manager.E001")
            for problem in plugin_problems(plugin)
        ]
        messages += _import_errors(plugin)
        messages += _retention_errors(plugin)
        if plugin.enabled_setting and not hasattr(settings, plugin.enabled_setting):
            messages.append(
                Warning(
                    f"setting {plugin.enabled_setting} is not defined; the plugin starts "
                    "switched off until an admin enables it",
                    obj=plugin.name,
                    id="plugin_manager.W001",
                )
            )
    return messages


def _declared_paths(plugin: PluginAppConfig) -> Iterable[tuple[str, str]]:
    for event_type, handler in plugin.subscriptions.items():
        yield f"handler of {event_type}", handler
    if plugin.health_check:
        yield "health_check", plugin.health_check
    for source, path in plugin.webhook_sources.items():
        yield f"webhook source {source}", path
    for system, path in plugin.privacy_handlers.items():
        yield f"privacy handler {system}", path


def _retention_errors(plugin: PluginAppConfig) -> list[CheckMessage]:
    """Each declared retention policy imports and looks like a RetentionPolicy (checked by
    shape: the privacy app may not be installed)."""
    errors: list[CheckMessage] = []
    for path in plugin.retention_policies:
        try:
            policy = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"retention policy: cannot import {path!r} ({exc})",
                                obj=plugin.name, id="plugin_manager.E002"))
            continue
        if not all(hasattr(policy, name) for name in ("key", "what", "days", "purge")):
            errors.append(Error(f"retention policy: {path!r} is not a RetentionPolicy",
                                obj=plugin.name, id="plugin_manager.E002"))
    return errors


def _import_errors(plugin: PluginAppConfig) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for what, path in _declared_paths(plugin):
        try:
            target = import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"{what}: cannot import {path!r} ({exc})", obj=plugin.name,
                      id="plugin_manager.E002")
            )
            continue
        if not callable(target) and not isinstance(target, type):
            errors.append(
                Error(f"{what}: {path!r} is not callable", obj=plugin.name,
                      id="plugin_manager.E002")
            )
    return errors
