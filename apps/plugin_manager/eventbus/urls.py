"""Inbound webhook URLs, mounted under /webhooks/ (see EventBusConfig.mounted_urls)."""

from django.urls import path

from apps.plugin_manager.eventbus.inbox.views import receive_webhook
from apps.plugin_manager.eventbus.object_sync_panel import sync_partner_now

app_name = "eventbus"

urlpatterns = [
    # Before the source patterns: "partner-sync" is not a webhook source name.
    path("partner-sync/<int:partner_id>/", sync_partner_now, name="partner-sync-now"),
    path("<slug:source>/", receive_webhook, name="webhook"),
    path("<slug:source>/<slug:tenant_slug>/", receive_webhook, name="webhook-tenant"),
]
