"""Counter staff add partners: bad inputs are refused with errors, good ones are saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

ADD_URL = "/admin/partners/partner/add/"


def fill_partner(page: Page, base_url: str, *, name: str, phone: str, tax_number: str) -> None:
    page.goto(base_url + ADD_URL)
    tenant = Tenant.objects.order_by("pk").first()
    assert tenant is not None  # the headquarters, made by the migrations
    page.select_option("select[name=tenant]", str(tenant.pk))
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    page.fill("input[name=tax_number]", tax_number)
    with page.expect_navigation():
        page.click("button[name=_save]")


def submit_bad_partner(page: Page, base_url: str) -> None:
    fill_partner(page, base_url, name="Hibás Béla", phone="12345abc",
                 tax_number="ABC-nem-adoszam")  # fmt: skip


def assert_not_saved(page: Page, base_url: str, name: str) -> None:
    assert page.url == base_url + ADD_URL, "the form must come back, unsaved"
    expect(page.locator(".errorlist").first).to_be_visible()
    assert not Partner.objects.filter(name=name).exists()


def test_bad_inputs_are_refused_with_hungarian_errors(admin_page: Page, base_url: str) -> None:
    submit_bad_partner(admin_page, base_url)
    assert_not_saved(admin_page, base_url, "Hibás Béla")
    errors = admin_page.locator(".errorlist")
    expect(errors.filter(has_text=re.compile("telefonszám", re.I))).to_have_count(1)
    expect(errors.filter(has_text=re.compile("adószám", re.I))).to_have_count(1)


def test_an_invalid_partner_is_refused_then_saved_once_corrected(
    admin_page: Page, base_url: str
) -> None:
    fill_partner(admin_page, base_url, name="Kovács Anna", phone="12345",
                 tax_number="12345676-2-42")  # fmt: skip
    assert_not_saved(admin_page, base_url, "Kovács Anna")
    expect(admin_page.locator(".errorlist").first).to_contain_text(
        "Érvénytelen telefonszám: 12345")

    # The form came back with the values typed: correcting the phone is enough.
    admin_page.fill("input[name=phone]", "+36 30 123 4567")
    with admin_page.expect_navigation():
        admin_page.click("button[name=_save]")
    assert admin_page.url == f"{base_url}/admin/partners/partner/"
    expect(admin_page.locator("#result_list")).to_contain_text("Kovács Anna")
    partner = Partner.objects.get(name="Kovács Anna")
    assert (partner.phone, partner.tax_number) == ("+36301234567", "12345676-2-42")
