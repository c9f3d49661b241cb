"""`manage.py seed_demo [--partners N] [--if-empty]`: realistic demo / benchmark data."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kgc_erp.demo.generator import seed
from kgc_erp.partners.models import Partner

MAX_PARTNERS = 100_000


class Command(BaseCommand):
    help = "Generate Hungarian demo data: partners, machines, rentals, worklogs, orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partners", type=int, default=200)
        parser.add_argument("--rentals-per-partner", type=float, default=1.5)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when partners already exist"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partners = options["partners"]
        if not 1 <= partners <= MAX_PARTNERS:
            self.stderr.write(f"--partners must be between 1 and {MAX_PARTNERS}")
            raise SystemExit(2)
        if options["if_empty"] and Partner.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        started = time.monotonic()
        report = seed(
            partners,
            rentals_per_partner=options["rentals_per_partner"],
            seed_value=options["seed"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.partners} partners, {report.machines} machines, "
                f"{report.rentals} rentals, {report.worklogs} worklogs, {report.orders} orders "
                f"in {time.monotonic() - started:.1f}s."
            )
        )
