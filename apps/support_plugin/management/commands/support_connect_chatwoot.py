"""Connect a tenant to a Chatwoot account: settings, inbox, webhook, dashboard app.

`make run` uses it to point the demo's headquarters tenant at the Chatwoot sandbox; in
production it connects a store to an existing Chatwoot account in one step.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.plugin_manager.actions import start_action
from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError
from apps.plugin_manager.services import set_enabled, update_settings
from apps.support_plugin.chatwoot.accounts import connect_tenant, wire_connected_account
from apps.support_plugin.chatwoot.config import PLUGIN_ID
from kgc_erp.tenants.models import Tenant


class Command(BaseCommand):
    help = "Connect a tenant to a Chatwoot account (settings, inbox, webhook, dashboard app)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--api-url", required=True, help="Chatwoot base URL")
        parser.add_argument("--api-token", required=True, help="an administrator's access token")
        parser.add_argument("--account-id", type=int, required=True)
        parser.add_argument("--platform-token", default="", help="Platform API key (optional)")
        parser.add_argument("--tenant", default="", help="tenant slug (default: headquarters)")
        parser.add_argument(
            "--enable",
            action="store_true",
            help="switch the plugin on and push every partner to Chatwoot",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["tenant"]
        try:
            tenant = Tenant.objects.get(slug=slug) if slug else Tenant.headquarters()
        except Tenant.DoesNotExist as exc:
            raise CommandError(f"no tenant with slug {slug!r}") from exc
        try:
            connect_tenant(
                tenant,
                options["api_url"].rstrip("/"),
                options["api_token"],
                options["account_id"],
                enable=False,
            )
            if options["platform_token"]:
                update_settings(
                    PLUGIN_ID, tenant, {"chatwoot_platform_api_key": options["platform_token"]}
                )
            wire_connected_account(tenant)
            if options["enable"]:
                # Switched on only once the inbox and webhook exist, so the first
                # notification already has somewhere to go.
                set_enabled(PLUGIN_ID, tenant, True)
                start_action(PLUGIN_ID, tenant, "sync_contacts")
        except ValidationError as exc:
            raise CommandError(f"invalid settings: {exc}") from exc
        except (PermanentDeliveryError, TransientDeliveryError) as exc:
            raise CommandError(f"Chatwoot: {exc}") from exc
        state = "enabled, contact sync queued" if options["enable"] else "connected"
        self.stdout.write(self.style.SUCCESS(f"Chatwoot for {tenant.slug}: {state}"))
