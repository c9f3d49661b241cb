"""Everything Twenty holds about a partner, as one JSON document (GDPR access request)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.crm_plugin.twenty.errors import TwentyError
from apps.crm_plugin.twenty.gdpr_export import export_partner
from apps.crm_plugin.twenty.tasks import global_client


class Command(BaseCommand):
    help = "Export a partner's data held in Twenty as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner_id", type=int)
        parser.add_argument("--output", help="file path (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with global_client() as client:
                document = export_partner(client, options["partner_id"])
        except TwentyError as exc:
            raise CommandError(f"Twenty: {exc.message}") from exc
        text = json.dumps(document, ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self.stdout.write(text)
