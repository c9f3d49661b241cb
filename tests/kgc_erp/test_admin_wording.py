"""Hungarian wording of the admin: counts, delete titles, month names, amounts."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kgc_erp.hungarian.amounts import format_huf
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory, ProductFactory, place_order, start_rental

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def text_of(page) -> str:  # type: ignore[no-untyped-def]
    # Collapse the templates' line breaks and indentation to single spaces.
    return " ".join(html.unescape(page.content.decode()).split())


def test_count_after_a_number_is_singular(admin_client: Client) -> None:
    for index in range(3):
        PartnerFactory(name=f"Számolt Szilvia {index}")

    text = text_of(admin_client.get(reverse("admin:partners_partner_changelist")))

    assert "3 partner" in text
    assert "0/3 kijelölve" in text  # the action bar's selection counter
    # A plural after a number is wrong ("Kiválasztott partnerek törlése" is right).
    assert not re.search(r"\d partnerek", text)


def test_select_all_and_delete_messages_keep_hungarian_grammar(admin_client: Client) -> None:
    partners = [PartnerFactory(name=f"Törlendő Tamás {i}") for i in range(2)]
    url = reverse("admin:partners_partner_changelist")
    ids = [p.pk for p in partners]

    confirm = text_of(admin_client.post(url, {"action": "delete_selected",
                                              "_selected_action": ids}))
    assert "partnerek objektumokat" not in confirm
    assert "Biztosan törölni akarja a kiválasztott elemeket (partnerek)?" in confirm

    done = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}, follow=True
    )
    assert "Sikeresen törölve: 2 elem." in text_of(done)
    assert not Partner.objects.filter(pk__in=ids).exists()


def test_delete_button_and_confirmation_title_read_partner_torlese(admin_client: Client) -> None:
    partner = PartnerFactory(name="Gomb Gábor")

    change = text_of(admin_client.get(reverse("admin:partners_partner_change",
                                              args=[partner.pk])))
    assert "Partner törlése" in change
    assert "Törlés partner" not in change

    confirm = text_of(admin_client.get(reverse("admin:partners_partner_delete",
                                               args=[partner.pk])))
    assert re.search(r"<title>\s*Partner törlése \| KGC ERP\s*</title>", confirm)
    assert "Biztosan törli ezt: partner „Gomb Gábor”?" in confirm


def test_date_drill_down_writes_month_names_in_lower_case(admin_client: Client) -> None:
    start_rental(start_date=dt.date(2026, 12, 6))
    url = reverse("admin:rentals_rental_changelist")

    by_year = text_of(admin_client.get(url, {"start_date__year": 2026}))
    by_month = text_of(admin_client.get(url, {"start_date__year": 2026,
                                              "start_date__month": 12}))

    assert "december" in by_year and "December" not in by_year
    assert "december 6." in by_month and "December" not in by_month


def test_amounts_are_grouped_with_non_breaking_spaces() -> None:
    assert format_huf(Decimal("18000")) == f"18{NBSP}000{NBSP}Ft"
    assert format_huf(Decimal("1234567")) == f"1{NBSP}234{NBSP}567{NBSP}Ft"
    assert format_huf(Decimal("990")) == f"990{NBSP}Ft"
    assert format_huf(Decimal("1500.50")) == f"1{NBSP}500,50{NBSP}Ft"
    assert format_huf(None) == "–"


def test_partner_history_shows_amounts_in_forints(admin_client: Client) -> None:
    order = place_order(quantity=1)

    page = html.unescape(admin_client.get(
        reverse("admin:partners_partner_change", args=[order.partner_id])
    ).text)

    assert f"2{NBSP}490{NBSP}Ft" in page


def test_amount_columns_in_the_lists(admin_client: Client) -> None:
    ProductFactory(name="Drága Dobozos Gép", price=Decimal("18000"))
    place_order(quantity=1)

    products = html.unescape(admin_client.get(reverse("admin:sales_product_changelist")).text)
    orders = html.unescape(admin_client.get(reverse("admin:sales_order_changelist")).text)

    assert f"18{NBSP}000{NBSP}Ft" in products
    assert f"2{NBSP}490{NBSP}Ft" in orders  # one Bosch drill bit at 2490 Ft
