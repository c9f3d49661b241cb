import pytest
from django.db import connection

from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_pgvector_extension_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        extensions = {row[0] for row in cursor.fetchall()}
    assert {"vector", "pg_trgm"} <= extensions
    with connection.cursor() as cursor:
        cursor.execute("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        assert cursor.fetchone()[0] == pytest.approx(1.0)


def test_headquarters_tenant_is_created_by_migration():
    hq = Tenant.headquarters()
    assert hq.kind == Tenant.Kind.HEADQUARTERS


def test_seed_demo_creates_consistent_data():
    from kgc_erp.demo.generator import seed

    report = seed(partners=50)
    assert Partner.objects.count() == 50 == report.partners
    assert len(set(Partner.objects.values_list("phone", flat=True))) == 50
    from kgc_erp.rentals.models import Rental

    numbers = list(Rental.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == report.rentals
    # Open rentals never share a machine.
    open_machines = list(
        Rental.objects.exclude(status="completed").values_list("machine_id", flat=True)
    )
    assert len(open_machines) == len(set(open_machines))
