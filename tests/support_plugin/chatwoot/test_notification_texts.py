"""The Hungarian customer texts: each names the machine, the number and the amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.support_plugin.chatwoot import notifications
from kgc_erp.rentals.services import return_rental
from kgc_erp.sales.services import mark_order_arrived, mark_order_ordered
from kgc_erp.service.services import change_worklog_status
from tests.factories import PartnerFactory, TenantFactory, open_worklog, place_order, start_rental

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return PartnerFactory(tenant=TenantFactory(slug="texts"), name="Horváth Zsófia")


def test_rental_texts(partner) -> None:
    rental = start_rental(partner=partner, days=1)
    for kind in (notifications.RENTAL_STARTED, notifications.RENTAL_DUE_TOMORROW,
                 notifications.RENTAL_LATE):
        text = notifications.render(kind, rental)
        assert rental.number in text and rental.machine.name in text
        assert "Horváth Zsófia" in text
    assert "8\u00a0000\u00a0Ft" in notifications.render(notifications.RENTAL_STARTED, rental)
    returned = return_rental(rental, returned_at=rental.created_at + dt.timedelta(days=1))
    text = notifications.render(notifications.RENTAL_RETURNED, returned)
    assert notifications.format_huf(returned.total_cost) in text
    assert "elégedett" in text and "?" in text  # the satisfaction question


def test_worklog_texts(partner) -> None:
    worklog = open_worklog(partner=partner, machine_type="Stihl MS 170")
    change_worklog_status(worklog, "diagnosztika")
    worklog = change_worklog_status(worklog, "arajanlat", quote_amount=Decimal("15900"))
    quote = notifications.render(notifications.WORKLOG_QUOTE_READY, worklog)
    assert worklog.number in quote and "Stihl MS 170" in quote and "15\u00a0900\u00a0Ft" in quote
    worklog = change_worklog_status(worklog, "javitas")
    worklog = change_worklog_status(worklog, "kesz")
    done = notifications.render(notifications.WORKLOG_REPAIR_DONE, worklog)
    assert "átvehető" in done and worklog.number in done and "15\u00a0900\u00a0Ft" in done


def test_declined_quote_done_text_names_no_amount(partner) -> None:
    worklog = open_worklog(partner=partner)
    change_worklog_status(worklog, "diagnosztika")
    change_worklog_status(worklog, "arajanlat", quote_amount=Decimal("40000"))
    worklog = change_worklog_status(worklog, "kesz")  # declined: back unrepaired
    done = notifications.render(notifications.WORKLOG_REPAIR_DONE, worklog)
    assert "átvehető" in done and "40\u00a0000" not in done


def test_order_arrived_text(partner) -> None:
    order = place_order(partner=partner, quantity=3)
    mark_order_ordered(order)
    order = mark_order_arrived(order)
    text = notifications.render(notifications.ORDER_ARRIVED, order)
    assert order.number in text and notifications.format_huf(order.total_amount) in text
    assert "3 × Bosch fúrószár" in text
