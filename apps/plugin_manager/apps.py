"""The plugin manager's own AppConfig. The manager is infrastructure, not a plugin."""

from django.apps import AppConfig


class PluginManagerConfig(AppConfig):
    name = "apps.plugin_manager"
    label = "plugin_manager"
    verbose_name = "Bővítmények"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and the state-version bump on every state write.
        from . import checks, snapshot  # noqa: F401
        from .admin_actions import register_plugin_admin_actions

        # Plugins' actions on core change lists (their manifests are loaded by now).
        register_plugin_admin_actions()
