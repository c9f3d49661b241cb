"""The counter-staff admin: tenant isolation, search, and transitions through services."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.tenants.models import StaffMembership
from tests.factories import PartnerFactory, TenantFactory, start_rental

pytestmark = pytest.mark.django_db


def staff_user(
    tenant=None, codenames=("view_partner", "change_partner", "view_rental", "change_rental")
):
    user = User.objects.create_user("pult", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    if tenant is not None:
        StaffMembership.objects.create(user=user, tenant=tenant)
    return user


@pytest.fixture
def two_stores():
    gyor, debrecen = TenantFactory(slug="gyor", name="Győr"), TenantFactory(slug="debrecen")
    return (
        gyor,
        PartnerFactory(tenant=gyor, name="Győri Gábor"),
        PartnerFactory(tenant=debrecen, name="Debreceni Dóra"),
    )


def test_franchise_user_sees_only_own_tenant(client, two_stores):
    gyor, own, foreign = two_stores
    client.force_login(staff_user(gyor))
    page = client.get(reverse("admin:partners_partner_changelist"))
    assert page.status_code == 200
    assert "Győri Gábor" in page.text
    assert "Debreceni Dóra" not in page.text
    assert (
        client.get(reverse("admin:partners_partner_change", args=[foreign.pk])).status_code == 302
    )
    assert client.get(reverse("admin:partners_partner_change", args=[own.pk])).status_code == 200


def test_headquarters_user_sees_every_tenant(client, two_stores):
    client.force_login(staff_user())
    page = client.get(reverse("admin:partners_partner_changelist"))
    assert "Győri Gábor" in page.text and "Debreceni Dóra" in page.text


def test_franchise_user_cannot_act_on_foreign_rows(client, two_stores):
    gyor, _own, foreign = two_stores
    rental = start_rental(foreign)
    client.force_login(staff_user(gyor))
    client.post(
        reverse("admin:rentals_rental_changelist"),
        {"action": "action_return_rental", "_selected_action": [rental.pk]},
    )
    rental.refresh_from_db()
    assert rental.status == Rental.Status.ACTIVE


@pytest.mark.parametrize("query", ["+36 30 123 4567", "06301234567", "06-30/123-4567"])
def test_phone_search_accepts_any_notation(admin_client, query):
    PartnerFactory(name="Keresett Kata", phone="+36301234567")
    PartnerFactory(name="Más Márton", phone="+36307654321")
    page = admin_client.get(reverse("admin:partners_partner_changelist"), {"q": query})
    assert "Keresett Kata" in page.text
    assert "Más Márton" not in page.text


def test_name_search(admin_client):
    PartnerFactory(name="Szűcs Ágnes")
    PartnerFactory(name="Kiss Péter")
    page = admin_client.get(reverse("admin:partners_partner_changelist"), {"q": "szűcs"})
    assert "Szűcs Ágnes" in page.text and "Kiss Péter" not in page.text


def test_return_action_goes_through_the_service(admin_client):
    rental = start_rental()
    page = admin_client.post(
        reverse("admin:rentals_rental_changelist"),
        {"action": "action_return_rental", "_selected_action": [rental.pk]},
        follow=True,
    )
    rental.refresh_from_db()
    assert rental.status == Rental.Status.COMPLETED and rental.total_cost
    # A second return is refused with a Hungarian message, not an error page.
    page = admin_client.post(
        reverse("admin:rentals_rental_changelist"),
        {"action": "action_return_rental", "_selected_action": [rental.pk]},
        follow=True,
    )
    assert page.status_code == 200
    assert "Nem engedélyezett állapotváltás" in page.text


def test_invalid_phone_is_a_form_error(admin_client):
    from tests.factories import headquarters

    page = admin_client.post(
        reverse("admin:partners_partner_add"),
        {
            "tenant": headquarters().pk,
            "name": "Hibás Hívó",
            "phone": "12",
            "email": "",
            "payment_status": "good",
            "rentals-TOTAL_FORMS": 0,
            "rentals-INITIAL_FORMS": 0,
            "worklogs-TOTAL_FORMS": 0,
            "worklogs-INITIAL_FORMS": 0,
            "orders-TOTAL_FORMS": 0,
            "orders-INITIAL_FORMS": 0,
        },
    )
    assert page.status_code == 200
    assert "Érvénytelen telefonszám" in page.text
    assert not Partner.objects.filter(name="Hibás Hívó").exists()


def test_partner_add_stores_e164(admin_client):
    from tests.factories import headquarters

    admin_client.post(
        reverse("admin:partners_partner_add"),
        {
            "tenant": headquarters().pk,
            "name": "Jó Jenő",
            "phone": "06 30 555 1234",
            "email": "JO@Example.hu",
            "payment_status": "good",
            "rentals-TOTAL_FORMS": 0,
            "rentals-INITIAL_FORMS": 0,
            "worklogs-TOTAL_FORMS": 0,
            "worklogs-INITIAL_FORMS": 0,
            "orders-TOTAL_FORMS": 0,
            "orders-INITIAL_FORMS": 0,
        },
    )
    partner = Partner.objects.get(name="Jó Jenő")
    assert partner.phone == "+36305551234"
    assert partner.email == "jo@example.hu"
