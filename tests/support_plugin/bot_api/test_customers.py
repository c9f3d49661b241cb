"""customers/by-phone and customers/duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.services import mark_rental_late, return_rental
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import change_worklog_status
from tests.factories import PartnerFactory, open_worklog, start_rental

from .helpers import BotClient

CUSTOMER_FIELDS = {
    "id", "name", "phone", "email", "company", "is_business", "active_rentals",
    "pending_repairs", "payment_status", "payment_status_hu",
}


@pytest.mark.parametrize("written", ["+36 30 123 4567", "06301234567", "+36301234567",
                                     "06-30/123-4567"])
def test_by_phone_accepts_every_common_notation(api: BotClient, written: str) -> None:
    partner = PartnerFactory(name="Nagy Péter", phone="+36301234567", email="nagy@example.hu",
                             tax_number="12345678-1-42", payment_status=Partner.PaymentStatus.LATE)

    response = api.get(f"/api/v1/customers/by-phone/{written}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CUSTOMER_FIELDS  # never the tax number, balances or ID documents
    assert body["id"] == partner.pk
    assert body["name"] == "Nagy Péter"
    assert body["phone"] == "+36301234567"
    assert body["payment_status"] == "late"
    assert body["payment_status_hu"] == "Késedelmes fizetés"
    assert "12345678" not in response.content.decode()


def test_by_phone_counts_open_rentals_and_unfinished_repairs(api: BotClient) -> None:
    partner = PartnerFactory(phone="+36209998877")
    start_rental(partner)
    late = start_rental(partner, start_date=_days_ago(10), days=3)
    mark_rental_late(late)
    return_rental(start_rental(partner))  # completed: not counted
    open_worklog(partner)
    handed_over = open_worklog(partner)
    for step in (Worklog.Status.DIAGNOSIS, Worklog.Status.REPAIR, Worklog.Status.DONE,
                 Worklog.Status.HANDED_OVER):
        change_worklog_status(handed_over, step)

    body = api.get("/api/v1/customers/by-phone/06209998877").json()

    assert body["active_rentals"] == 2
    assert body["pending_repairs"] == 1


def test_unknown_phone_is_404(api: BotClient) -> None:
    response = api.get("/api/v1/customers/by-phone/+36301112233")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found",
                               "detail": "Ezzel a telefonszámmal nincs ügyfelünk."}


@pytest.mark.parametrize("garbage", ["abc", "0630", "+36 30 123", "12345678901234567", "%20"])
def test_unparseable_phone_is_400(api: BotClient, garbage: str) -> None:
    response = api.get(f"/api/v1/customers/by-phone/{garbage}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"


def test_another_tenants_customer_looks_unknown(api: BotClient, franchise) -> None:
    PartnerFactory(tenant=franchise, phone="+36301234567")

    response = api.get("/api/v1/customers/by-phone/06301234567")

    assert response.status_code == 404
    assert response.json() == api.get("/api/v1/customers/by-phone/06309999999").json()


def test_inactive_customer_is_not_returned(api: BotClient) -> None:
    PartnerFactory(phone="+36301234567", is_active=False)

    assert api.get("/api/v1/customers/by-phone/06301234567").status_code == 404


# --- duplicates -----------------------------------------------------------------------------


def test_duplicates_by_phone_email_and_accent_folded_name(api: BotClient, franchise) -> None:
    same_phone = PartnerFactory(name="Kiss Ferenc", phone="+36301234567")
    same_email = PartnerFactory(name="Bau-Tech Kft.", email="kovacs.janos@example.hu")
    similar_name = PartnerFactory(name="Kovács János", phone="+36205556677")
    PartnerFactory(name="Szabó Éva")  # unrelated
    PartnerFactory(tenant=franchise, name="Kovács János", phone="+36301234567")  # other tenant

    response = api.get("/api/v1/customers/duplicates", {
        "name": "Kovacs Janos", "phone": "06 30 123 4567", "email": "Kovacs.Janos@example.hu",
    })

    assert response.status_code == 200
    body = response.json()
    found = {c["id"]: c for c in body["candidates"]}
    assert set(found) == {same_phone.pk, same_email.pk, similar_name.pk}
    assert body["count"] == 3
    assert found[same_phone.pk]["reasons"] == ["phone"]
    assert found[same_email.pk]["reasons"] == ["email"]
    assert found[similar_name.pk]["reasons"] == ["name"]
    assert found[similar_name.pk]["name_similarity"] == 1.0
    # Strongest evidence first: same phone, then same e-mail, then the name.
    assert [c["id"] for c in body["candidates"]] == [same_phone.pk, same_email.pk,
                                                     similar_name.pk]


def test_duplicates_name_only_finds_near_spellings(api: BotClient) -> None:
    near = PartnerFactory(name="Tóth Árpád")
    PartnerFactory(name="Horváth Béla")

    body = api.get("/api/v1/customers/duplicates", {"name": "toth arpad"}).json()

    assert [c["id"] for c in body["candidates"]] == [near.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "non_field_errors"), ({"phone": "abc"}, None), ({"email": "nem-email"}, "email"),
     ({"name": "a"}, "name")],
)
def test_duplicates_refuses_bad_queries(api: BotClient, params: dict, field: str | None) -> None:
    response = api.get("/api/v1/customers/duplicates", params)

    assert response.status_code == 400
    body = response.json()
    if field is None:
        assert body["code"] == "invalid_phone"
    else:
        assert body["code"] == "validation_error"
        assert field in body["errors"]


def _days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)
