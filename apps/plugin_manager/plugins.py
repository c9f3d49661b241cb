"""The plugin manifest: what a plugin app declares about itself.

A plugin is a Django app whose AppConfig subclasses `PluginAppConfig`. Everything the
manager needs is declared as class attributes and validated at startup (`ready()` and the
system checks), so a malformed plugin fails loudly at boot, never at first use.

Handlers, health checks, actions and webhook sources are given as dotted paths and
imported lazily, so declaring them never imports a plugin's client code at startup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.apps import AppConfig


class SettingKind(StrEnum):
    STRING = "string"
    URL = "url"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    SECRET = "secret"  # encrypted at rest, never shown back in full


@dataclass(frozen=True)
class SettingField:
    """One typed setting of a plugin (per tenant, with a global default)."""

    name: str
    label: str  # Hungarian, shown in the admin form
    kind: SettingKind = SettingKind.STRING
    required: bool = False
    # Django settings / environment name whose value is the global default (DESIGN.md names).
    env: str | None = None
    default: object = None
    help_text: str = ""

    @property
    def is_secret(self) -> bool:
        return self.kind is SettingKind.SECRET


@dataclass(frozen=True)
class PluginAction:
    """An operation an admin can start from the Plugins page (e.g. "initial sync").

    `task` is the dotted name of a Celery task called with keyword arguments
    `tenant_id` (int | None) and `run_id` (int: the PluginActionRun row recording progress).
    """

    name: str
    label: str
    task: str
    long_running: bool = False


@dataclass(frozen=True)
class AdminAction:
    """An action a plugin adds to a core model's admin change list (e.g. "export what the
    CRM holds about the selected partners").

    The plugin manager registers it through the core's admin seam
    (``kgc_erp.admin_extensions``): shown only to users with ``permission``
    ("app_label.codename"), refused while the plugin is off for the user's scope, and run
    in the background like the plugin's other actions: ``task`` is the dotted name of a
    Celery task called with ``tenant_id``, ``run_id`` and ``object_ids`` (the selected
    primary keys, at most ``max_objects``); it reports progress through ``action_run`` and
    may leave a JSON result on the run for download.
    """

    model: str  # "app_label.ModelName"
    name: str
    label: str  # Hungarian
    task: str
    permission: str
    max_objects: int = 50


@dataclass(frozen=True)
class HealthResult:
    status: str  # one of apps.plugin_manager.health.HealthStatus values
    latency_ms: float | None = None
    error: str = ""


class PluginAppConfig(AppConfig):
    """Base AppConfig of every plugin app. Subclasses set the attributes below."""

    # Short, stable id: "support", "crm", ...
    plugin_id: str = ""
    plugin_name: str = ""  # Hungarian display name
    description: str = ""
    # Django setting holding the initial global on/off state (e.g. "SUPPORT_MODULE_ENABLED").
    enabled_setting: str | None = None
    # event type -> dotted path of the handler `def handle(context: DeliveryContext) -> None`.
    subscriptions: Mapping[str, str] = {}
    settings_schema: Sequence[SettingField] = ()
    # dotted path of `def check(settings: Mapping[str, object]) -> HealthResult`.
    health_check: str | None = None
    actions: Sequence[PluginAction] = ()
    # inbound webhook source name (URL segment) -> dotted path of its InboundSource.
    webhook_sources: Mapping[str, str] = {}
    # URLconfs mounted by the root URLconf: (("prefix/", "dotted.urls"), ...).
    mounted_urls: Sequence[tuple[str, str]] = ()
    # Event types this plugin emits into the outbox itself (e.g. "helpdesk.conversation_created"),
    # declared in the connector's event_types.py: other plugins may subscribe to them.
    emits: Sequence[str] = ()
    # Actions added to core models' admin change lists.
    admin_actions: Sequence[AdminAction] = ()
    # dotted path of `def ensure(settings) -> str`: what must exist remotely before the first
    # delivery (idempotent); the bus runs it whatever switched the plugin on (setup_steps.py).
    setup_step: str | None = None
    # GDPR requests: system name (the connector's SYSTEM) -> dotted path of a class
    # implementing apps.plugin_manager.privacy.handlers.PrivacyHandler (export, erase).
    # Declaring it subscribes the plugin to "privacy.step_due" with the generic runner.
    privacy_handlers: Mapping[str, str] = {}
    # Retention: dotted paths of apps.plugin_manager.privacy.retention.RetentionPolicy
    # objects (what the plugin stores that may hold personal data, how long, how it is
    # purged); the privacy app's daily task runs them and its admin lists them.
    retention_policies: Sequence[str] = ()

    # Plugin apps import this base class into their apps.py, which would give Django two
    # AppConfig candidates there and make it silently fall back to a plain AppConfig. The
    # base opts out of auto-selection and every subclass opts in (unless it says otherwise).
    default = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def ready(self) -> None:
        super().ready()
        from .registry import attach_privacy_subscription, validate_plugin

        attach_privacy_subscription(self)
        validate_plugin(self)


__all__ = (
    "AdminAction",
    "HealthResult",
    "PluginAction",
    "PluginAppConfig",
    "SettingField",
    "SettingKind",
)
