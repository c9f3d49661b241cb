"""rentals/{number}/status, service/worklogs/{number}/status, orders/..., inventory/check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kgc_erp.rentals.services import mark_rental_late, return_rental
from kgc_erp.sales.models import StockLevel
from kgc_erp.sales.services import mark_order_arrived, mark_order_ordered
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import change_worklog_status
from tests.factories import (
    MachineFactory,
    PartnerFactory,
    ProductFactory,
    open_worklog,
    place_order,
    start_rental,
)

from .helpers import BotClient

TODAY = timezone.localdate


# --- rentals ----------------------------------------------------------------------------------


def test_active_rental_status(api: BotClient) -> None:
    machine = MachineFactory(name="Makita talajvágó", type="talajvágó")
    rental = start_rental(machine=machine, days=2)

    response = api.get(f"/api/v1/rentals/{rental.number}/status")

    assert response.status_code == 200
    assert response.json() == {
        "number": rental.number,
        "customer_id": rental.partner_id,
        "machine": "Makita talajvágó",
        "machine_type": "talajvágó",
        "start_date": TODAY().isoformat(),
        "due_date": (TODAY() + dt.timedelta(days=2)).isoformat(),
        "returned_at": None,
        "status": "active",
        "status_hu": "Aktív bérlés",
        "late_days": 0,
    }


def test_overdue_rental_reports_late_days(api: BotClient) -> None:
    rental = start_rental(start_date=TODAY() - dt.timedelta(days=7), days=3)
    mark_rental_late(rental)

    body = api.get(f"/api/v1/rentals/{rental.number}/status").json()

    assert body["status"] == "late"
    assert body["status_hu"] == "Lejárt, a gép visszahozatala késésben van"
    assert body["late_days"] == 4


def test_returned_rental_is_closed_with_no_late_days(api: BotClient) -> None:
    rental = start_rental(start_date=TODAY() - dt.timedelta(days=7), days=3)
    return_rental(rental)

    body = api.get(f"/api/v1/rentals/{rental.number.lower()}/status").json()

    assert body["status"] == "completed"
    assert body["late_days"] == 0
    assert body["returned_at"] is not None


def test_unknown_rental_is_404(api: BotClient) -> None:
    response = api.get("/api/v1/rentals/R-2026-9999/status")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Nincs ilyen számú bérlés."}


@pytest.mark.parametrize("number", ["R-26-1", "M-2026-0001", "2026-0001", "R_2026_0001", "R-2026-"])
def test_malformed_rental_number_is_400(api: BotClient, number: str) -> None:
    response = api.get(f"/api/v1/rentals/{number}/status")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_number"
    assert "R-ÉÉÉÉ-NNNN" in response.json()["detail"]


def test_another_tenants_rental_looks_unknown(api: BotClient, franchise) -> None:
    rental = start_rental(PartnerFactory(tenant=franchise))

    response = api.get(f"/api/v1/rentals/{rental.number}/status")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Nincs ilyen számú bérlés."}


# --- worklogs ---------------------------------------------------------------------------------


def test_worklog_waiting_for_quote_acceptance(api: BotClient) -> None:
    worklog = open_worklog(machine_type="Husqvarna láncfűrész 450e")
    change_worklog_status(worklog, Worklog.Status.DIAGNOSIS)
    change_worklog_status(
        worklog, Worklog.Status.QUOTE, quote_amount=Decimal("18500"),
        estimated_completion=TODAY() + dt.timedelta(days=3),
        technician_notes="Lánc és láncvezető csere.",
    )

    response = api.get(f"/api/v1/service/worklogs/{worklog.number}/status")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "number": worklog.number,
        "customer_id": worklog.partner_id,
        "machine": "Husqvarna láncfűrész 450e",
        "status": "arajanlat",
        "status_hu": "Árajánlat elkészült, jóváhagyásra vár",
        "estimated_completion": (TODAY() + dt.timedelta(days=3)).isoformat(),
        "quote_amount": 18500,
        "quote_accepted": None,
        "technician_notes": "Lánc és láncvezető csere.",
        "can_pickup": False,
        "completed_at": None,
    }


def test_finished_worklog_can_be_picked_up(api: BotClient) -> None:
    worklog = open_worklog()
    change_worklog_status(worklog, Worklog.Status.DIAGNOSIS)
    change_worklog_status(worklog, Worklog.Status.QUOTE, quote_amount=Decimal("9000"))
    change_worklog_status(worklog, Worklog.Status.REPAIR)
    change_worklog_status(worklog, Worklog.Status.DONE)

    body = api.get(f"/api/v1/service/worklogs/{worklog.number}/status").json()

    assert body["status"] == "kesz"
    assert body["status_hu"] == "Elkészült, átvehető"
    assert body["quote_accepted"] is True
    assert body["can_pickup"] is True
    assert body["completed_at"] is not None


def test_worklog_errors(api: BotClient, franchise) -> None:
    foreign = open_worklog(PartnerFactory(tenant=franchise))

    unknown = api.get("/api/v1/service/worklogs/M-2026-4242/status")
    other_tenant = api.get(f"/api/v1/service/worklogs/{foreign.number}/status")
    malformed = api.get("/api/v1/service/worklogs/R-2026-0001/status")

    assert unknown.status_code == other_tenant.status_code == 404
    assert unknown.json() == other_tenant.json()
    assert malformed.status_code == 400


# --- orders -----------------------------------------------------------------------------------


def test_order_status_lists_items(api: BotClient) -> None:
    order = place_order(quantity=2)
    line = order.lines.get()

    response = api.get(f"/api/v1/orders/{order.number}/status")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending"
    assert body["status_hu"] == "Rögzítve, beszállítói rendelésre vár"
    assert body["items"] == [{"sku": line.product.sku, "name": line.product.name, "quantity": 2}]
    assert body["total_amount"] == int(order.total_amount) == 2 * int(line.unit_price)


def test_estimated_arrival_before_and_after_arrival(api: BotClient) -> None:
    order = place_order()
    mark_order_ordered(order, estimated_arrival=dt.date(2026, 12, 10))

    before = api.get(f"/api/v1/orders/{order.number}/estimated-arrival").json()
    mark_order_arrived(order)
    after = api.get(f"/api/v1/orders/{order.number}/estimated-arrival").json()

    assert before["estimated_arrival"] == "2026-12-10"
    assert before["arrived"] is False
    assert before["message_hu"] == "A rendelés várható beérkezése: 2026. december 10."
    assert after["arrived"] is True
    assert after["arrived_at"] is not None
    assert after["message_hu"] == "A rendelés beérkezett, átvehető az üzletben."


def test_order_errors(api: BotClient, franchise) -> None:
    foreign = place_order(PartnerFactory(tenant=franchise))

    for suffix in ("status", "estimated-arrival"):
        unknown = api.get(f"/api/v1/orders/O-2026-9999/{suffix}")
        other = api.get(f"/api/v1/orders/{foreign.number}/{suffix}")
        malformed = api.get(f"/api/v1/orders/O-nope/{suffix}")
        assert unknown.status_code == other.status_code == 404
        assert unknown.json() == other.json()
        assert malformed.status_code == 400


# --- inventory --------------------------------------------------------------------------------


def test_inventory_per_location_and_accent_insensitive_filter(
    api: BotClient, hq, franchise
) -> None:
    product = ProductFactory(sku="MAK-DGA452", name="Makita akkus sarokcsiszoló")
    StockLevel.objects.create(tenant=hq, product=product, location="Győr", quantity=3)
    StockLevel.objects.create(tenant=hq, product=product, location="Budapest", quantity=0)
    StockLevel.objects.create(tenant=franchise, product=product, location="Sopron", quantity=9)

    everywhere = api.get("/api/v1/inventory/check", {"sku": "MAK-DGA452"}).json()
    in_gyor = api.get("/api/v1/inventory/check", {"sku": "mak-dga452", "location": "gyor"}).json()
    in_pest = api.get("/api/v1/inventory/check", {"sku": "MAK-DGA452",
                                                  "location": "Budapest"}).json()
    nowhere = api.get("/api/v1/inventory/check", {"sku": "MAK-DGA452", "location": "Pécs"}).json()

    assert everywhere["total_quantity"] == 3
    assert everywhere["locations"] == [
        {"location": "Budapest", "quantity": 0, "in_stock": False},
        {"location": "Győr", "quantity": 3, "in_stock": True},
    ]  # the franchise's Sopron stock is not this key's business
    assert in_gyor["in_stock"] is True
    assert in_gyor["locations"] == [{"location": "Győr", "quantity": 3, "in_stock": True}]
    assert in_pest["in_stock"] is False
    assert nowhere == {"sku": "MAK-DGA452", "name": "Makita akkus sarokcsiszoló",
                       "location": "Pécs", "in_stock": False, "total_quantity": 0,
                       "locations": []}


def test_inventory_errors(api: BotClient) -> None:
    unknown = api.get("/api/v1/inventory/check", {"sku": "NINCS-ILYEN"})
    missing = api.get("/api/v1/inventory/check")

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    assert missing.status_code == 400
    assert missing.json()["code"] == "validation_error"
    assert "sku" in missing.json()["errors"]
