"""Names sort in Hungarian order (ICU hu-HU), and the admin's sorted list stays an index scan."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine
from kgc_erp.tenants.models import Tenant
from tests.factories import MachineFactory, PartnerFactory, TenantFactory, headquarters

pytestmark = pytest.mark.django_db

HUNGARIAN_ORDER = ["Ábel", "Balázs", "Balogh", "Csaba", "Éva", "Zoltán"]
SCALE = 20_000


def test_partner_queryset_sorts_in_hungarian_order() -> None:
    for name in reversed(HUNGARIAN_ORDER):
        PartnerFactory(name=name)
    assert list(Partner.objects.values_list("name", flat=True)) == HUNGARIAN_ORDER


def test_partner_admin_list_sorts_in_hungarian_order(admin_client: Client) -> None:
    for name in reversed(HUNGARIAN_ORDER):
        PartnerFactory(name=f"{name} Teszt")
    text = html.unescape(admin_client.get(reverse("admin:partners_partner_changelist")).text)
    positions = [text.index(f"{name} Teszt") for name in HUNGARIAN_ORDER]
    assert positions == sorted(positions)


def test_sorting_by_the_name_column_keeps_hungarian_order(admin_client: Client) -> None:
    for name in HUNGARIAN_ORDER:
        PartnerFactory(name=f"{name} Oszlop")
    url = reverse("admin:partners_partner_changelist")
    for order, expected in (("1", HUNGARIAN_ORDER), ("-1", HUNGARIAN_ORDER[::-1])):
        text = html.unescape(admin_client.get(url, {"o": order}).text)
        positions = [text.index(f"{name} Oszlop") for name in expected]
        assert positions == sorted(positions), order


def test_tenants_and_machines_sort_in_hungarian_order() -> None:
    for index, name in enumerate(reversed(HUNGARIAN_ORDER)):
        TenantFactory(name=f"{name} bolt", slug=f"bolt-{index}")
        MachineFactory(name=f"{name} gép")
    tenants = [n for n in Tenant.objects.values_list("name", flat=True) if n.endswith(" bolt")]
    machines = list(Machine.objects.values_list("name", flat=True))
    assert tenants == [f"{name} bolt" for name in HUNGARIAN_ORDER]
    assert machines == [f"{name} gép" for name in HUNGARIAN_ORDER]


def _explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("franchise_user", [False, True])
def test_admin_default_ordering_is_an_index_scan_at_scale(
    admin_client: Client, client: Client, franchise_user: bool
) -> None:
    from django.contrib.auth.models import Permission, User

    from kgc_erp.tenants.models import StaffMembership

    hq, store = headquarters(), TenantFactory(slug="szeged", name="Szeged")
    Partner.objects.bulk_create(
        Partner(
            tenant=store if index % 4 == 0 else hq,
            name=f"{HUNGARIAN_ORDER[index % 6]} {index:05d}",
            phone=f"+3630{1000000 + index:07d}",
        )
        for index in range(SCALE)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partner")
    if franchise_user:
        user = User.objects.create_user("szegedi", password="x", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename="view_partner"))
        StaffMembership.objects.create(user=user, tenant=store)
        client.force_login(user)
        browser = client
    else:
        browser = admin_client

    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("admin:partners_partner_changelist"))
    assert page.status_code == 200
    [listing] = [
        q["sql"] for q in queries.captured_queries
        if 'FROM "partners_partner"' in q["sql"] and "ORDER BY" in q["sql"]
        and "LIMIT" in q["sql"]
    ]
    plan = _explain(listing)
    assert "Index Scan" in plan, plan
    expected_index = "partner_tenant_hu_name_idx" if franchise_user else "partner_hu_name_idx"
    assert expected_index in plan, plan
    assert "Sort" not in plan.replace("Incremental Sort", ""), plan
