"""What the two CRM initial-sync benchmarks (Twenty, Krayin) set up alike: a database of
their own, filled with partners and completed rentals."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

from bench.bench_database import REPO


def setup_django(database: str, cache_url: str | None = None) -> None:
    """Django on `database` (of DATABASE_URL's server, else the embedded PostgreSQL),
    migrated; with `cache_url`, the cache (a shared token cache) lives there."""
    if not os.environ.get("DATABASE_URL"):
        from devstack.postgres import start_embedded_postgres

        pgdata = Path(os.environ.get("EMBEDDED_PGDATA", REPO / "var" / "pgdata")).resolve()
        os.environ["DATABASE_URL"] = start_embedded_postgres(pgdata, database)
    if cache_url:
        os.environ["CACHE_URL"] = cache_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kgc_erp.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(partners: int, rentals: int, *, rental_prefix: str, company_every: int = 0) -> None:
    """Exactly `partners` active partners (every `company_every`-th a company, if given)
    and `rentals` completed rentals within the last 12 months (bulk inserts: no events, the
    CRM plugin is not enabled in this database). Kept between runs when the counts match."""
    from django.utils import timezone

    from kgc_erp.partners.models import Partner
    from kgc_erp.rentals.models import Machine, Rental
    from kgc_erp.tenants.models import Tenant

    if Partner.objects.count() == partners and Rental.objects.count() == rentals:
        return
    print(f"seeding {partners} partners and {rentals} rentals ...", flush=True)
    Rental.objects.all().delete()
    Partner.objects.all().delete()
    Machine.objects.all().delete()
    hq = Tenant.headquarters()
    machines = Machine.objects.bulk_create(
        Machine(tenant=hq, name=f"Gép {i}", type="fúrógép", serial=f"{rental_prefix}-{i:05d}",
                daily_rate=Decimal(8000))
        for i in range(100)
    )  # fmt: skip

    def is_company(i: int) -> bool:
        return bool(company_every) and i % company_every == 0

    created = Partner.objects.bulk_create(
        (Partner(tenant=hq, name=f"Kovács János {i}", email=f"p{i}@bench.example",
                 phone=f"+3630{1000000 + i:07d}", is_business=is_company(i),
                 company=f"Bench {i // 10} Kft." if is_company(i) else "")
         for i in range(partners)),
        batch_size=2000,
    )  # fmt: skip
    now = timezone.now()
    batch: list[Rental] = []
    for i in range(rentals):
        returned = now - dt.timedelta(days=1 + i % 330)
        start = returned.date() - dt.timedelta(days=2)
        batch.append(Rental(
            number=f"R-{rental_prefix}-{i:06d}", tenant=hq, partner=created[i % partners],
            machine=machines[i % 100], start_date=start, end_date=returned.date(),
            returned_at=returned, status=Rental.Status.COMPLETED, total_cost=Decimal(16000),
        ))  # fmt: skip
        if len(batch) == 5000:
            Rental.objects.bulk_create(batch)
            batch = []
    Rental.objects.bulk_create(batch)
