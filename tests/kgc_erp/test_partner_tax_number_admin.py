"""The partner admin: tax numbers validated, a tenant's duplicate refused unless confirmed."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kgc_erp.partners.forms import CONFIRM_DUPLICATE_FIELD
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory, TenantFactory, headquarters

pytestmark = pytest.mark.django_db

CONFIRM_LABEL = "Tudom, hogy ez az adószám már szerepel, mégis mentem"


def add_partner(client: Client, **fields: Any) -> Any:
    data = {
        "tenant": headquarters().pk,
        "name": "Második Kapcsolattartó",
        "phone": "",
        "email": "",
        "payment_status": "good",
        "is_business": "on",
        "company": "Bau-Tech Kft.",
        "rentals-TOTAL_FORMS": 0,
        "rentals-INITIAL_FORMS": 0,
        "worklogs-TOTAL_FORMS": 0,
        "worklogs-INITIAL_FORMS": 0,
        "orders-TOTAL_FORMS": 0,
        "orders-INITIAL_FORMS": 0,
        **fields,
    }
    return client.post(reverse("admin:partners_partner_add"), data)


def test_tax_number_is_stored_in_the_dashed_form(admin_client: Client) -> None:
    add_partner(admin_client, tax_number="12892312213")
    assert Partner.objects.get(name="Második Kapcsolattartó").tax_number == "12892312-2-13"


def test_bad_check_digit_is_a_hungarian_form_error(admin_client: Client) -> None:
    page = add_partner(admin_client, tax_number="12892313-2-13")
    assert page.status_code == 200
    assert "az ellenőrző számjegy nem egyezik" in html.unescape(page.text)
    assert not Partner.objects.filter(name="Második Kapcsolattartó").exists()


def test_no_confirmation_box_without_a_duplicate(admin_client: Client) -> None:
    assert CONFIRM_LABEL not in admin_client.get(reverse("admin:partners_partner_add")).text
    page = add_partner(admin_client, tax_number="12892312-2-13", phone="12")
    assert page.status_code == 200  # refused for the phone; no duplicate, so no box
    assert CONFIRM_LABEL not in html.unescape(page.text)


def test_duplicate_in_the_tenant_is_refused_naming_the_existing_partner(
    admin_client: Client,
) -> None:
    existing = PartnerFactory(name="Bau-Tech Első", tax_number="12892312-2-13")

    page = add_partner(admin_client, tax_number="12892312213")

    text = html.unescape(page.text)
    assert page.status_code == 200
    assert (
        "Ez az adószám már szerepel ennél a telephelynél: "
        f"Bau-Tech Első (azonosító: {existing.pk})"
    ) in text
    assert CONFIRM_LABEL in text  # the box appears now
    assert not Partner.objects.filter(name="Második Kapcsolattartó").exists()


def test_confirmed_duplicate_is_saved(admin_client: Client) -> None:
    PartnerFactory(name="Bau-Tech Első", tax_number="12892312-2-13")

    page = add_partner(admin_client, tax_number="12892312-2-13", **{CONFIRM_DUPLICATE_FIELD: "on"})

    assert page.status_code == 302
    assert Partner.objects.filter(tax_number="12892312-2-13").count() == 2


def test_same_tax_number_in_another_tenant_is_no_duplicate(admin_client: Client) -> None:
    PartnerFactory(tenant=TenantFactory(slug="gyor"), tax_number="12892312-2-13")

    page = add_partner(admin_client, tax_number="12892312-2-13")

    assert page.status_code == 302


def test_editing_a_confirmed_duplicate_does_not_ask_again() -> None:
    PartnerFactory(name="Bau-Tech Első", tax_number="12892312-2-13")
    second = Partner(tenant=headquarters(), name="Bau-Tech Második", tax_number="12892312-2-13")
    with pytest.raises(ValidationError) as excinfo:
        second.full_clean()
    assert excinfo.value.error_dict["tax_number"][0].code == "duplicate_tax_number"
    second.allow_duplicate_tax_number = True
    second.full_clean()
    second.save()

    reloaded = Partner.objects.get(pk=second.pk)
    reloaded.name = "Bau-Tech Második Telephely"
    reloaded.full_clean()  # unchanged tax number: no second confirmation needed


def test_franchise_clerk_gets_the_same_check_in_their_store(client: Client) -> None:
    from django.contrib.auth.models import Permission, User

    from kgc_erp.tenants.models import StaffMembership

    store = TenantFactory(slug="pecs", name="Pécs")
    PartnerFactory(tenant=store, name="Pécsi Bau Kft.", tax_number="12892312-2-13")
    clerk = User.objects.create_user("pecsi", password="x", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=("add_partner", "change_partner", "view_partner"))
    )
    StaffMembership.objects.create(user=clerk, tenant=store)
    client.force_login(clerk)

    refused = add_partner(client, tenant=store.pk, tax_number="12892312213")
    assert refused.status_code == 200
    assert CONFIRM_LABEL in html.unescape(refused.text)

    confirmed = add_partner(
        client, tenant=store.pk, tax_number="12892312213", **{CONFIRM_DUPLICATE_FIELD: "on"}
    )
    assert confirmed.status_code == 302
    assert Partner.objects.filter(tenant=store, tax_number="12892312-2-13").count() == 2
