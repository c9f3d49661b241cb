"""Inbound webhook URLs, mounted under /webhooks/ (see EventBusConfig.mounted_urls)."""

from django.urls import path

from apps.plugin_manager.eventbus.inbox.views import receive_webhook

app_name = "eventbus"

urlpatterns = [
    path("<slug:source>/", receive_webhook, name="webhook"),
    path("<slug:source>/<slug:tenant_slug>/", receive_webhook, name="webhook-tenant"),
]
