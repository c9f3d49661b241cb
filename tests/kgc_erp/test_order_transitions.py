from decimal import Decimal

import pytest

from kgc_erp.sales.models import Order
from kgc_erp.sales.services import mark_order_arrived, mark_order_delivered, mark_order_ordered
from kgc_erp.sales.signals import order_arrived, order_delivered
from kgc_erp.state_machine import InvalidTransition
from tests.factories import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def fired():
    captured: list[str] = []
    arrived = lambda sender, order, **kw: captured.append("arrived")  # noqa: E731
    delivered = lambda sender, order, **kw: captured.append("delivered")  # noqa: E731
    order_arrived.connect(arrived)
    order_delivered.connect(delivered)
    yield captured
    order_arrived.disconnect(arrived)
    order_delivered.disconnect(delivered)


def test_order_lifecycle_fires_signals(fired):
    order = place_order(quantity=2)
    assert order.number.startswith("O-")
    assert order.total_amount == Decimal("4980")
    mark_order_ordered(order)
    mark_order_arrived(order)
    delivered = mark_order_delivered(order)
    assert delivered.status == Order.Status.DELIVERED
    assert delivered.delivered_at is not None
    assert fired == ["arrived", "delivered"]


@pytest.mark.parametrize("step", [mark_order_arrived, mark_order_delivered])
def test_pending_order_cannot_skip_steps(step, fired):
    order = place_order()
    with pytest.raises(InvalidTransition):
        step(order)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert fired == []


def test_delivered_order_is_final():
    order = place_order()
    for step in (mark_order_ordered, mark_order_arrived, mark_order_delivered):
        step(order)
    for step in (mark_order_ordered, mark_order_arrived, mark_order_delivered):
        with pytest.raises(InvalidTransition):
            step(order)
