"""History records through the real pipeline: exactly once under retries, aggregates
recomputed (not incremented) so replaying every event twice changes nothing."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.eventbus.outbox.invoke import invoke_subscriber
from kgc_erp.rentals.services import mark_rental_late, return_rental
from kgc_erp.sales.services import mark_order_arrived, mark_order_delivered, mark_order_ordered
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import change_worklog_status
from tests.factories import PartnerFactory, open_worklog, place_order, start_rental
from tests.infrastructure.waiting import wait_for

from .helpers import all_crm_deliveries_finished, control, crm_deliveries, rows

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def crm(worker, workspace, enable_crm, settings):
    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    return workspace


def _person(handle, partner_pk: int) -> dict | None:
    key = kgc_partner_id(partner_pk)
    return next((p for p in rows(handle, "person") if p.get("kgcPartnerId") == key), None)


def _seed_losing_the_second_answer() -> int:
    """A fault seed whose first draw spares a request and whose second hits it."""
    for seed in range(1000):
        draw = random.Random(seed)
        if draw.random() >= 0.5 > draw.random():
            return seed
    raise AssertionError("no seed")


def test_a_rental_record_is_written_exactly_once_when_its_answer_is_lost(crm) -> None:
    partner = PartnerFactory(name="Nagy Éva")
    wait_for(lambda: _person(crm, partner.pk), message="the person")
    wait_for(all_crm_deliveries_finished, message="partner.created")
    rental = start_rental(partner)
    control(crm, "DELETE", "requests")
    # The handler calls UpsertPeople then UpsertRentalRecords: the second one executes in
    # Twenty but its answer is lost (HTTP 500 after the write), so the delivery is retried.
    control(crm, "POST", "faults", json={"mode": "500", "after": True, "ratio": 0.5,
                                         "count": 1, "seed": _seed_losing_the_second_answer()})
    return_rental(rental)
    wait_for(all_crm_deliveries_finished, message="rental.completed")
    delivery = next(d for d in crm_deliveries() if d.event.type == "rental.completed")
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.attempts == 2
    upserts = [r for r in control(crm, "GET", "requests")["requests"]
               if r.get("operationName") == "UpsertRentalRecords"]  # fmt: skip
    assert len(upserts) == 2 and upserts[0].get("fault") == "500"
    records = [r for r in rows(crm, "rentalRecord", deleted=None)
               if r["kgcRentalId"] == rental.number]  # fmt: skip
    assert len(records) == 1
    assert records[0]["personId"] == _person(crm, partner.pk)["id"]


def _complete_worklog(partner) -> Worklog:
    worklog = open_worklog(partner)
    worklog = change_worklog_status(worklog, Worklog.Status.DIAGNOSIS)
    worklog = change_worklog_status(worklog, Worklog.Status.REPAIR)
    return change_worklog_status(worklog, Worklog.Status.DONE, repair_cost=Decimal("15000"))


def test_aggregates_stay_correct_after_replaying_every_event_twice(crm) -> None:
    partner = PartnerFactory(name="Szabó Péter")
    rentals = [return_rental(start_rental(partner, days=2)) for _ in range(2)]
    worklog = _complete_worklog(partner)
    order = place_order(partner)
    order = mark_order_delivered(mark_order_arrived(mark_order_ordered(order)))
    late = start_rental(partner, start_date=rentals[0].start_date.replace(year=2025), days=1)
    mark_rental_late(late)
    wait_for(all_crm_deliveries_finished, timeout=60, message="every delivery")

    def check() -> None:
        person = _person(crm, partner.pk)
        revenue = sum(r.total_cost for r in rentals) + worklog.repair_cost + order.total_amount
        assert person["totalRentals"] == 2
        assert person["totalRevenue"] == {"amountMicros": int(revenue) * 1_000_000,
                                          "currencyCode": "HUF"}  # fmt: skip
        assert person["lastServiceDate"] == worklog.completed_at.date().isoformat()
        assert person["paymentStatus"] == "LATE"  # rental.late
        for name, count in (("rentalRecord", 2), ("serviceRecord", 1), ("salesRecord", 1)):
            assert len(rows(crm, name, deleted=None)) == count, name
        sales = rows(crm, "salesRecord")[0]
        assert sales["kgcOrderId"] == order.number and sales["status"] == "DELIVERED"
        assert sales["items"][0]["quantity"] == 2

    check()
    deliveries = crm_deliveries()
    assert {d.event.type for d in deliveries} >= {"rental.completed", "worklog.completed",
                                                  "order.delivered", "rental.late"}  # fmt: skip
    # Replay: every event handed to the CRM's handler twice more (at-least-once delivery).
    for _ in range(2):
        for delivery in deliveries:
            invoke_subscriber("crm", delivery.event, delivery.attempts + 1, delivery.pk)
    check()
