"""Point the CRM plugin at a Twenty workspace (global settings), register our webhook
there and optionally switch the plugin on (which bootstraps the schema and starts the
initial sync on the worker). Used by `make run` to connect the demo to the sandbox."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.crm_plugin.twenty.client import TwentyClient
from apps.crm_plugin.twenty.config import PLUGIN_ID, TwentyConfig
from apps.crm_plugin.twenty.errors import TwentyError
from apps.crm_plugin.twenty.webhook_registration import ensure_webhook
from apps.plugin_manager import services
from apps.plugin_manager.runtime import get_plugin_settings


class Command(BaseCommand):
    help = "Connect the CRM plugin to Twenty (settings, webhook, optionally enable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--api-url", required=True, help="Twenty base URL")
        parser.add_argument("--api-key", required=True)
        parser.add_argument("--webhook-secret", default="",
                            help="default: keep the stored one, or generate one")
        parser.add_argument("--webhook-url", default="",
                            help="default: PUBLIC_BASE_URL + /webhooks/twenty/")
        parser.add_argument("--rate-limit", type=int, default=None, help="calls per minute")
        parser.add_argument("--no-webhook", action="store_true")
        parser.add_argument("--enable", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stored = get_plugin_settings(PLUGIN_ID, None)
        secret = (options["webhook_secret"] or str(stored.get("crm_webhook_secret") or "")
                  or secrets.token_hex(32))  # fmt: skip
        changes: dict[str, object] = {
            "crm_api_url": options["api_url"].rstrip("/"),
            "crm_api_key": options["api_key"],
            "crm_webhook_secret": secret,
        }
        if options["rate_limit"]:
            changes["crm_rate_limit_per_minute"] = options["rate_limit"]
        try:
            services.update_settings(PLUGIN_ID, None, changes)
        except ValidationError as exc:
            raise CommandError(f"invalid settings: {exc}") from exc
        if not options["no_webhook"]:
            target = options["webhook_url"] or (
                f"{settings.PUBLIC_BASE_URL.rstrip('/')}/webhooks/twenty/"
            )
            config = TwentyConfig(str(changes["crm_api_url"]), options["api_key"])
            try:
                with TwentyClient(config) as client:
                    hook = ensure_webhook(client, target, secret)
            except TwentyError as exc:
                raise CommandError(f"Twenty: {exc.message}") from exc
            self.stdout.write(f"webhook {hook['id']} -> {hook['targetUrl']}")
        if options["enable"]:
            services.set_enabled(PLUGIN_ID, None, True)
            self.stdout.write("CRM plugin enabled (schema bootstrap and initial sync queued)")
        self.stdout.write(self.style.SUCCESS("Twenty connected"))
