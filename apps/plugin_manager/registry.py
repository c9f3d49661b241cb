"""Discovery and validation of plugins.

A plugin is any installed app whose AppConfig subclasses `PluginAppConfig`. There is no
separate list to keep in sync: removing the app from INSTALLED_APPS removes the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .event_types import BUS_EVENT_TYPES, KNOWN_EVENT_TYPES, PRIVACY_STEP_DUE
from .plugins import AdminAction, PluginAction, PluginAppConfig, SettingField, SettingKind

PLUGIN_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SETTING_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
DOTTED_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
SYSTEM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PRIVACY_APP = "apps.plugin_manager.privacy"
PRIVACY_RUNNER = "apps.plugin_manager.privacy.runner.run_step"
# Steps the privacy app runs itself (no plugin behind them).
BUILT_IN_PRIVACY_SYSTEMS = frozenset({"erp", "eventbus"})


class UnknownPlugin(LookupError):
    """No installed app declares this plugin id."""


def installed_plugins() -> list[PluginAppConfig]:
    """Every installed plugin, in INSTALLED_APPS order."""
    return [c for c in apps.get_app_configs() if isinstance(c, PluginAppConfig)]


def get_plugin(plugin_id: str) -> PluginAppConfig:
    # A dict lookup: the inbox and the event bus ask this several times per request.
    config = _plugins_by_id().get(plugin_id)
    if config is None:
        raise UnknownPlugin(plugin_id)
    return config


@cache
def _plugins_by_id() -> Mapping[str, PluginAppConfig]:
    by_id: dict[str, PluginAppConfig] = {}
    for config in installed_plugins():
        by_id.setdefault(config.plugin_id, config)  # the first one wins, as it always did
    return by_id


def is_installed(plugin_id: str) -> bool:
    return plugin_id in _plugin_ids()


@cache
def _plugin_ids() -> frozenset[str]:
    return frozenset(c.plugin_id for c in installed_plugins())


@cache
def subscription_index() -> Mapping[str, tuple[tuple[str, str], ...]]:
    """event type -> ((plugin_id, handler path), ...) over every installed plugin.

    Cached: it depends only on INSTALLED_APPS, and it is read on every model save.
    """
    index: dict[str, list[tuple[str, str]]] = {}
    for config in installed_plugins():
        for event_type, handler in config.subscriptions.items():
            index.setdefault(event_type, []).append((config.plugin_id, handler))
    return {event_type: tuple(subs) for event_type, subs in index.items()}


def known_event_types() -> frozenset[str]:
    """Core event types plus those any installed plugin declares it emits."""
    emitted: set[str] = set()
    for config in apps.get_app_configs():
        emits = getattr(config, "emits", ())
        if isinstance(emits, list | tuple | set | frozenset):
            emitted.update(e for e in emits if isinstance(e, str))
    return KNOWN_EVENT_TYPES | emitted


def attach_privacy_subscription(config: PluginAppConfig) -> None:
    """A plugin declaring `privacy_handlers` receives "privacy.step_due" with the generic
    runner: its steps become ordinary deliveries (retried, recorded, never twice). Only when
    the privacy app is installed; the instance attribute leaves the class manifest as is."""
    handlers = config.privacy_handlers
    if not (isinstance(handlers, Mapping) and handlers) or not apps.is_installed(PRIVACY_APP):
        return
    if isinstance(config.subscriptions, Mapping):
        config.subscriptions = {**config.subscriptions, PRIVACY_STEP_DUE: PRIVACY_RUNNER}


def privacy_handler_index() -> dict[str, tuple[str, str]]:
    """system name -> (plugin_id, handler path) over every installed plugin."""
    index: dict[str, tuple[str, str]] = {}
    for config in installed_plugins():
        for system, path in config.privacy_handlers.items():
            index[system] = (config.plugin_id, path)
    return index


def retention_policy_paths() -> list[tuple[str, str]]:
    """(plugin_id, RetentionPolicy dotted path) over every installed plugin."""
    return [(config.plugin_id, path) for config in installed_plugins()
            for path in config.retention_policies]


@receiver(setting_changed)
def _reset_caches(*, setting: str, **kwargs: object) -> None:
    if setting == "INSTALLED_APPS":
        _plugin_ids.cache_clear()
        _plugins_by_id.cache_clear()
        subscription_index.cache_clear()


# --- validation -------------------------------------------------------------------------


def plugin_problems(config: PluginAppConfig) -> list[str]:
    """Everything wrong with a plugin's manifest, as English sentences for developers."""
    problems: list[str] = []
    plugin_id = config.plugin_id
    if not isinstance(plugin_id, str) or not PLUGIN_ID_RE.match(plugin_id):
        problems.append(
            f"plugin_id {plugin_id!r} must be a short lowercase identifier such as 'crm'"
        )
    else:
        clashes = [
            other.label
            for other in apps.get_app_configs()
            if isinstance(other, PluginAppConfig)
            and other is not config
            and other.plugin_id == plugin_id
        ]
        if clashes:
            problems.append(f"plugin_id {plugin_id!r} is also declared by {', '.join(clashes)}")
    if not isinstance(config.plugin_name, str) or not config.plugin_name.strip():
        problems.append("plugin_name (the Hungarian display name) is missing")
    if config.enabled_setting is not None and not (
        isinstance(config.enabled_setting, str) and config.enabled_setting.isidentifier()
    ):
        problems.append(f"enabled_setting {config.enabled_setting!r} is not a setting name")
    problems += _emits_problems(config)
    problems += _subscription_problems(config)
    problems += _schema_problems(config.settings_schema)
    problems += _action_problems(config.actions)
    problems += _admin_action_problems(config.admin_actions)
    problems += _privacy_problems(config)
    problems += _retention_problems(config)
    if config.setup_step is not None and not _is_dotted(config.setup_step):
        problems.append(f"setup_step {config.setup_step!r} is not a dotted path")
    if config.health_check is not None and not _is_dotted(config.health_check):
        problems.append(f"health_check {config.health_check!r} is not a dotted path")
    if not isinstance(config.webhook_sources, Mapping):
        problems.append("webhook_sources must be a mapping of source name -> dotted path")
    else:
        for source, path in config.webhook_sources.items():
            if not (isinstance(source, str) and re.match(r"^[a-z0-9_-]+$", source)):
                problems.append(f"webhook source name {source!r} is not URL-safe")
            if not _is_dotted(path):
                problems.append(f"webhook source {source!r}: {path!r} is not a dotted path")
    for entry in config.mounted_urls:
        if not (
            isinstance(entry, tuple)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and _is_dotted(entry[1])
        ):
            problems.append(f"mounted_urls entry {entry!r} must be ('prefix/', 'dotted.urls')")
    return problems


def validate_plugin(config: PluginAppConfig) -> None:
    """Refuses a malformed plugin at startup (called from PluginAppConfig.ready)."""
    problems = plugin_problems(config)
    if problems:
        raise ImproperlyConfigured(
            f"Plugin app {config.name!r} is malformed: " + "; ".join(problems)
        )


def _is_dotted(value: object) -> bool:
    return isinstance(value, str) and bool(DOTTED_PATH_RE.match(value))


def _emits_problems(config: PluginAppConfig) -> list[str]:
    emits = getattr(config, "emits", ())
    if not isinstance(emits, list | tuple | set | frozenset):
        return ["emits must be a sequence of event type names"]
    return [
        f"emitted event type {e!r} must look like 'system.something_happened'"
        for e in emits
        if not (isinstance(e, str) and EVENT_TYPE_RE.match(e))
    ]


def _subscription_problems(config: PluginAppConfig) -> list[str]:
    if not isinstance(config.subscriptions, Mapping):
        return ["subscriptions must be a mapping of event type -> handler dotted path"]
    known = known_event_types() | BUS_EVENT_TYPES
    problems = []
    for event_type, handler in config.subscriptions.items():
        if event_type not in known:
            problems.append(
                f"subscription to unknown event type {event_type!r} "
                "(see apps/plugin_manager/event_types.py, or declare it in a plugin's `emits`)"
            )
        if not _is_dotted(handler):
            problems.append(f"handler of {event_type!r}: {handler!r} is not a dotted path")
    return problems


def _privacy_problems(config: PluginAppConfig) -> list[str]:
    handlers = config.privacy_handlers
    if not isinstance(handlers, Mapping):
        return ["privacy_handlers must be a mapping of system name -> handler class dotted path"]
    problems: list[str] = []
    for system, path in handlers.items():
        if not (isinstance(system, str) and SYSTEM_NAME_RE.match(system)):
            problems.append(f"privacy system name {system!r} must be a lowercase identifier")
            continue
        if system in BUILT_IN_PRIVACY_SYSTEMS:
            problems.append(f"privacy system name {system!r} is reserved for a built-in step")
        if not _is_dotted(path):
            problems.append(f"privacy handler of {system!r}: {path!r} is not a dotted path")
        others = [
            other.label
            for other in installed_plugins()
            if other is not config and system in getattr(other, "privacy_handlers", {})
        ]
        if others:
            problems.append(f"privacy system {system!r} is also declared by {', '.join(others)}")
    return problems


def _retention_problems(config: PluginAppConfig) -> list[str]:
    policies = config.retention_policies
    if not isinstance(policies, list | tuple):
        return ["retention_policies must be a sequence of RetentionPolicy dotted paths"]
    return [f"retention policy {path!r} is not a dotted path"
            for path in policies if not _is_dotted(path)]


def _schema_problems(schema: object) -> list[str]:
    if not isinstance(schema, list | tuple):
        return ["settings_schema must be a sequence of SettingField"]
    problems: list[str] = []
    seen: set[str] = set()
    for field in schema:
        if not isinstance(field, SettingField):
            problems.append(f"settings_schema entry {field!r} is not a SettingField")
            continue
        if not SETTING_NAME_RE.match(field.name or ""):
            problems.append(f"setting name {field.name!r} must be a lowercase identifier")
        elif field.name in seen:
            problems.append(f"setting {field.name!r} is declared twice")
        seen.add(field.name)
        if not isinstance(field.kind, SettingKind):
            try:
                SettingKind(field.kind)
            except ValueError:
                problems.append(
                    f"setting {field.name!r} has unknown kind {field.kind!r} "
                    f"(one of {', '.join(k.value for k in SettingKind)})"
                )
                continue
            problems.append(f"setting {field.name!r}: kind must be a SettingKind member")
            continue
        if field.env is not None and not (isinstance(field.env, str) and field.env.isidentifier()):
            problems.append(f"setting {field.name!r}: env {field.env!r} is not a setting name")
        if not field.label:
            problems.append(f"setting {field.name!r} has no label")
        if field.default is not None:
            from .settings_values import SettingValueError, coerce_value

            if field.is_secret:
                problems.append(f"secret setting {field.name!r} must not have a code default")
            else:
                try:
                    coerce_value(field, field.default)
                except SettingValueError:
                    problems.append(
                        f"setting {field.name!r}: default {field.default!r} is not a valid "
                        f"{field.kind.value}"
                    )
    return problems


def _admin_action_problems(actions: object) -> list[str]:
    if not isinstance(actions, list | tuple):
        return ["admin_actions must be a sequence of AdminAction"]
    problems: list[str] = []
    names: set[str] = set()
    for action in actions:
        if not isinstance(action, AdminAction):
            problems.append(f"admin action {action!r} is not an AdminAction")
            continue
        if not SETTING_NAME_RE.match(action.name or "") or action.name in names:
            problems.append(f"admin action name {action.name!r} is not a unique identifier")
        names.add(action.name)
        try:
            apps.get_model(action.model)
        except (LookupError, ValueError):
            problems.append(f"admin action {action.name!r}: unknown model {action.model!r}")
        if not _is_dotted(action.task):
            problems.append(f"admin action {action.name!r}: task {action.task!r} is not dotted")
        if action.permission.count(".") != 1:
            problems.append(f"admin action {action.name!r}: permission must be 'app.codename'")
        if action.max_objects < 1:
            problems.append(f"admin action {action.name!r}: max_objects must be positive")
    return problems


def _action_problems(actions: object) -> list[str]:
    if not isinstance(actions, list | tuple):
        return ["actions must be a sequence of PluginAction"]
    problems: list[str] = []
    names: set[str] = set()
    for action in actions:
        if not isinstance(action, PluginAction):
            problems.append(f"action {action!r} is not a PluginAction")
            continue
        if not SETTING_NAME_RE.match(action.name or ""):
            problems.append(f"action name {action.name!r} must be a lowercase identifier")
        elif action.name in names:
            problems.append(f"action {action.name!r} is declared twice")
        names.add(action.name)
        if not _is_dotted(action.task):
            problems.append(f"action {action.name!r}: task {action.task!r} is not a dotted name")
    return problems


__all__ = (
    "UnknownPlugin",
    "attach_privacy_subscription",
    "get_plugin",
    "installed_plugins",
    "is_installed",
    "known_event_types",
    "plugin_problems",
    "privacy_handler_index",
    "retention_policy_paths",
    "subscription_index",
    "validate_plugin",
)
