"""The pure mapping: Hungarian names, contact composites, money, and what never leaves."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from apps.crm_plugin.twenty.mappers import (
    Aggregates,
    company_id,
    company_input,
    kgc_partner_id,
    partner_pk_from_kgc_id,
    person_input,
    split_hungarian_name,
)
from tests.factories import PartnerFactory


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Kovács János", "János", "Kovács"),
        ("Nagy-Szabó Éva Mária", "Éva Mária", "Nagy-Szabó"),
        ("dr. Kiss Péter", "Péter", "dr. Kiss"),
        ("Kovácsné Szabó Anna", "Anna", "Kovácsné Szabó"),
        ("Kovács Jánosné", "Jánosné", "Kovács"),
        ("Madonna", "", "Madonna"),
        ("  Tóth   Béla ", "Béla", "Tóth"),
    ],
)
def test_hungarian_names_put_the_family_name_first(full: str, first: str, last: str) -> None:
    assert split_hungarian_name(full) == (first, last)


def test_kgc_partner_id_round_trips() -> None:
    assert kgc_partner_id(42) == "KGC-000042"
    assert partner_pk_from_kgc_id("KGC-000042") == 42
    assert partner_pk_from_kgc_id("something else") is None


@pytest.mark.django_db
def test_person_input_has_composites_and_never_the_tax_number() -> None:
    partner = PartnerFactory(name="Kovács János", phone="+36 30 123 4567",
                             email=" Janos@Example.HU ", tax_number="12345678-2-42")  # fmt: skip
    aggregates = Aggregates(total_rentals=3, total_revenue=Decimal("49000"),
                            last_rental_date=dt.date(2026, 3, 8))  # fmt: skip
    data = person_input(partner, aggregates)
    assert data["name"] == {"firstName": "János", "lastName": "Kovács"}
    assert data["emails"] == {"primaryEmail": "janos@example.hu", "additionalEmails": []}
    assert data["phones"] == {"primaryPhoneNumber": "301234567", "primaryPhoneCountryCode": "HU",
                              "primaryPhoneCallingCode": "+36"}  # fmt: skip
    assert data["totalRevenue"] == {"amountMicros": 49_000_000_000, "currencyCode": "HUF"}
    assert data["totalRentals"] == 3 and data["lastRentalDate"] == "2026-03-08"
    assert data["kgcPartnerId"] == kgc_partner_id(partner.pk)
    assert data["paymentStatus"] == "GOOD"
    serialized = json.dumps(data)
    assert "12345678" not in serialized and "tax" not in serialized.lower()
    assert "email" not in data and "phone" not in data  # no deprecated scalars


@pytest.mark.django_db
def test_a_business_is_a_company_with_its_contact_person_and_a_late_rental_makes_it_late(
) -> None:
    partner = PartnerFactory(name="Szabó Péter", company="Építő Kft.", is_business=True,
                             tax_number="12345678-2-41")
    company = company_input(partner)
    assert company == {"id": company_id(partner.pk), "name": "Építő Kft."}
    assert uuid.UUID(company_id(partner.pk)).version == 5  # stable across retries
    assert company_id(partner.pk) == company_id(str(partner.pk))
    data = person_input(partner, Aggregates(has_late_rental=True))
    assert data["name"] == {"firstName": "Péter", "lastName": "Szabó"}  # the contact person
    assert data["companyId"] == company["id"]
    assert data["isBusiness"] is True
    assert "12345678" not in json.dumps([company, data])
    assert data["paymentStatus"] == "LATE"
    partner.payment_status = partner.PaymentStatus.BLOCKED
    assert person_input(partner, Aggregates(has_late_rental=True))["paymentStatus"] == "BLOCKED"


@pytest.mark.django_db
def test_a_business_known_only_by_its_firm_name_keeps_it_whole() -> None:
    partner = PartnerFactory(name="Építő Kft.", company="", is_business=True)
    assert person_input(partner, Aggregates())["name"] == {"firstName": "",
                                                           "lastName": "Építő Kft."}
    assert company_input(partner)["name"] == "Építő Kft."
    private = PartnerFactory(name="Kiss Anna", is_business=False)
    assert person_input(private, Aggregates())["companyId"] is None


def test_a_shared_email_goes_to_additional_emails() -> None:
    from apps.crm_plugin.twenty.mappers import person_emails

    assert person_emails(" A@B.HU ", shared=False) == {"primaryEmail": "a@b.hu",
                                                       "additionalEmails": []}  # fmt: skip
    assert person_emails("a@b.hu", shared=True) == {"primaryEmail": "",
                                                    "additionalEmails": ["a@b.hu"]}  # fmt: skip
    assert person_emails("", shared=True) == {"primaryEmail": "", "additionalEmails": []}
