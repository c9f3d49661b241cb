import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.rentals.services import mark_overdue_rentals, mark_rental_late, return_rental
from kgc_erp.rentals.signals import rental_completed, rental_late, rental_started
from kgc_erp.state_machine import InvalidTransition
from tests.factories import MachineFactory, PartnerFactory, start_rental

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    captured: list[tuple[str, Rental]] = []

    def make(name):
        def receiver(sender, rental, **kwargs):
            captured.append((name, rental.pk))

        return receiver

    receivers = {
        rental_started: make("started"),
        rental_completed: make("completed"),
        rental_late: make("late"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    yield captured
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def test_start_assigns_number_tenant_and_fires_started(received):
    rental = start_rental()
    assert rental.status == Rental.Status.ACTIVE
    assert rental.number == f"R-{rental.start_date.year}-0001"
    assert rental.tenant_id == rental.partner.tenant_id
    assert received == [("started", rental.pk)]


def test_return_computes_cost_and_fires_completed(received):
    start = timezone.localdate() - dt.timedelta(days=3)
    rental = start_rental(start_date=start, machine=MachineFactory(daily_rate=Decimal("8000")))
    returned = return_rental(rental)
    assert returned.status == Rental.Status.COMPLETED
    assert returned.total_cost == Decimal("24000")
    assert returned.returned_at is not None
    assert received[-1] == ("completed", rental.pk)


def test_returned_rental_cannot_be_returned_again(received):
    rental = return_rental(start_rental())
    with pytest.raises(InvalidTransition):
        return_rental(rental)
    assert [name for name, _ in received] == ["started", "completed"]


def test_late_only_after_due_date(received):
    rental = start_rental(days=3)
    with pytest.raises(InvalidTransition):
        mark_rental_late(rental)
    late = mark_rental_late(rental, today=rental.end_date + dt.timedelta(days=1))
    assert late.status == Rental.Status.LATE
    assert late.late_days(rental.end_date + dt.timedelta(days=4)) == 4
    assert received[-1] == ("late", rental.pk)


def test_late_rental_can_be_returned_but_not_marked_late_again():
    rental = start_rental(days=1)
    mark_rental_late(rental, today=rental.end_date + dt.timedelta(days=2))
    with pytest.raises(InvalidTransition):
        mark_rental_late(rental, today=rental.end_date + dt.timedelta(days=3))
    assert return_rental(rental).status == Rental.Status.COMPLETED


def test_completed_rental_cannot_become_late():
    rental = return_rental(start_rental(days=1))
    with pytest.raises(InvalidTransition):
        mark_rental_late(rental, today=rental.end_date + dt.timedelta(days=5))


def test_machine_cannot_be_rented_twice_at_once():
    first = start_rental()
    with pytest.raises(InvalidTransition):
        start_rental(machine=first.machine)


def test_blocked_partner_cannot_rent():
    with pytest.raises(InvalidTransition):
        start_rental(PartnerFactory(payment_status=Partner.PaymentStatus.BLOCKED))
    assert not Rental.objects.exists()


def test_end_before_start_is_refused():
    today = timezone.localdate()
    with pytest.raises(InvalidTransition):
        start_rental(start_date=today, end_date=today - dt.timedelta(days=1))


def test_overdue_sweep_marks_only_overdue(received):
    overdue = start_rental(start_date=timezone.localdate() - dt.timedelta(days=5), days=2)
    current = start_rental(days=5)
    assert mark_overdue_rentals() == 1
    overdue.refresh_from_db()
    current.refresh_from_db()
    assert overdue.status == Rental.Status.LATE
    assert current.status == Rental.Status.ACTIVE
