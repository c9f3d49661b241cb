"""Create / verify our data model in the Twenty workspace (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.crm_plugin.twenty.errors import TwentyError
from apps.crm_plugin.twenty.schema_bootstrap import bootstrap_schema
from apps.crm_plugin.twenty.tasks import global_client


class Command(BaseCommand):
    help = "Create what is missing of the KGC data model in Twenty and verify it."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with global_client() as client:
                report = bootstrap_schema(client)
        except TwentyError as exc:
            raise CommandError(f"Twenty: {exc.code} {exc.message}") from exc
        for item in report.created:
            self.stdout.write(f"created {item}")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"PROBLEM {problem}")
            raise CommandError(f"{len(report.problems)} problem(s) in the Twenty schema")
        self.stdout.write(self.style.SUCCESS("Twenty schema complete"))
