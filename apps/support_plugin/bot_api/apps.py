"""Read-only ERP API for the support bot and Chatwoot agents (DRF), with scoped API keys."""
from django.apps import AppConfig


class BotApiConfig(AppConfig):
    name = "apps.support_plugin.bot_api"
    label = "support_bot_api"
    verbose_name = "Ügyfélszolgálati bot API"
    mounted_urls = (("api/", "apps.support_plugin.bot_api.urls"),)

    def ready(self) -> None:
        # GDPR erasure receiver, and the OpenAPI description of the bearer key scheme.
        from . import gdpr, schema  # noqa: F401
