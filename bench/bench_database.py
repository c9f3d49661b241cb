"""A dedicated benchmark database (`kgc_bench`) so benchmarks never touch demo or test data.

Call `setup_django()` before importing models. It uses DATABASE_URL's server when given
(with the database name replaced), else the embedded PostgreSQL in var/pgdata.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "kgc_bench"


def setup_django(settings_module: str = "kgc_erp.settings") -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if not os.environ.get("DATABASE_URL"):
        from devstack.postgres import start_embedded_postgres

        pgdata = Path(os.environ.get("EMBEDDED_PGDATA", REPO / "var" / "pgdata")).resolve()
        os.environ["DATABASE_URL"] = start_embedded_postgres(pgdata, BENCH_DATABASE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_partners(count: int, rentals_per_partner: float = 1.5) -> None:
    """Seed the benchmark database up to `count` partners (idempotent across runs)."""
    from kgc_erp.demo.generator import seed
    from kgc_erp.partners.models import Partner

    missing = count - Partner.objects.count()
    if missing > 0:
        print(f"seeding {missing} partners ...", flush=True)
        seed(missing, rentals_per_partner=rentals_per_partner)
