"""AppConfig of the event bus: connects the core-signal receivers and mounts the inbox."""

from __future__ import annotations

from django.apps import AppConfig


class EventBusConfig(AppConfig):
    name = "apps.plugin_manager.eventbus"
    label = "eventbus"
    verbose_name = "Eseménybusz"
    default_auto_field = "django.db.models.BigAutoField"
    # The root URLconf mounts these for every installed app (see kgc_erp/urls.py).
    mounted_urls = (("webhooks/", "apps.plugin_manager.eventbus.urls"),)
    # The admin sidebar shows these first (see kgc_erp/admin_navigation.py).
    admin_navigation = (
        {
            "title": "Integrációk",
            "items": [
                {
                    "title": "Integrációk áttekintése",
                    "icon": "monitoring",
                    "link": "admin:eventbus_integrations_dashboard",
                    "permission": "apps.plugin_manager.eventbus.integrations.views"
                    ".can_view_dashboard",
                },
                {
                    "title": "Eseménybusz áttekintés",
                    "icon": "hub",
                    "link": "admin:eventbus_delivery_dashboard",
                    "permission": "apps.plugin_manager.eventbus.integrations.views"
                    ".can_view_dashboard",
                },
            ],
        },
    )

    def ready(self) -> None:
        from apps.plugin_manager.eventbus.object_sync_panel import render_partner_panel
        from apps.plugin_manager.eventbus.outbox import receivers
        from kgc_erp.admin_extensions import ChangePanel, register_panel
        from kgc_erp.partners.models import Partner

        receivers.connect()
        panel = ChangePanel("eventbus.sync", "Külső rendszerek", render_partner_panel)
        register_panel(Partner, panel)
