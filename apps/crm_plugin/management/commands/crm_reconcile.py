"""Compare the ERP with Twenty and repair the drift (what the nightly beat task runs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.crm_plugin.twenty.errors import TwentyError
from apps.crm_plugin.twenty.reconcile import reconcile
from apps.crm_plugin.twenty.tasks import global_client


class Command(BaseCommand):
    help = "Reconcile Twenty with the ERP (ERP wins)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with global_client() as client:
                run = reconcile(client)
        except TwentyError as exc:
            raise CommandError(f"Twenty: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"checked {run.done}, repaired {run.repaired}, {run.calls} calls"
        ))  # fmt: skip
