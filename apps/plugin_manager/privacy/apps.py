"""AppConfig of the privacy requests app: connects its receivers and the core seams."""

from __future__ import annotations

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "apps.plugin_manager.privacy"
    label = "privacy"
    verbose_name = "Adatvédelem"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import partner_action, receivers

        receivers.connect()
        partner_action.register()
