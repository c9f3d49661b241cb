"""Rental use cases. Every status change goes through here, never `queryset.update()`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kgc_erp.numbering.sequences import RENTAL_PREFIX, allocate_number
from kgc_erp.partners.models import Partner
from kgc_erp.state_machine import InvalidTransition, ensure_transition

from .models import Rental, RentalReminder
from .signals import rental_completed, rental_due_tomorrow, rental_late, rental_started

Status = Rental.Status
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACTIVE: frozenset({Status.COMPLETED, Status.LATE}),
    Status.LATE: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
}
LABELS = dict(Status.choices)


@transaction.atomic
def start_rental(rental: Rental) -> Rental:
    """Save a new rental as active, give it its number and announce it."""
    if rental.pk is not None:
        raise InvalidTransition("Ez a bérlés már elindult.")
    if rental.end_date < rental.start_date:
        raise InvalidTransition("A lejárat nem lehet a kezdés előtt.")
    if rental.partner.payment_status == Partner.PaymentStatus.BLOCKED:
        raise InvalidTransition("Letiltott partner nem bérelhet.")
    machine_busy = Rental.objects.filter(
        machine_id=rental.machine_id, status__in=(Status.ACTIVE, Status.LATE)
    ).exists()
    if machine_busy:
        raise InvalidTransition("Ez a gép jelenleg ki van bérelve.")
    rental.tenant_id = rental.partner.tenant_id
    rental.status = Status.ACTIVE
    rental.number = allocate_number(RENTAL_PREFIX, rental.start_date)
    rental.save()
    rental_started.send(sender=Rental, rental=rental)
    return rental


def rental_days(start: date, end: date) -> int:
    """Days charged: every started 24 hours, and at least one day."""
    return max(1, (end - start).days)


@transaction.atomic
def return_rental(rental: Rental, returned_at: datetime | None = None) -> Rental:
    """Close a rental when the machine comes back and compute what it cost."""
    rental = Rental.objects.select_for_update().select_related("machine").get(pk=rental.pk)
    ensure_transition(ALLOWED_TRANSITIONS, rental.status, Status.COMPLETED, LABELS)
    rental.returned_at = returned_at or timezone.now()
    days = rental_days(rental.start_date, timezone.localdate(rental.returned_at))
    rental.total_cost = Decimal(days) * rental.machine.daily_rate
    rental.status = Status.COMPLETED
    rental.save()
    rental_completed.send(sender=Rental, rental=rental)
    return rental


@transaction.atomic
def mark_rental_late(rental: Rental, today: date | None = None) -> Rental:
    """Flag an active rental whose due date has passed."""
    rental = Rental.objects.select_for_update().get(pk=rental.pk)
    ensure_transition(ALLOWED_TRANSITIONS, rental.status, Status.LATE, LABELS)
    today = today or timezone.localdate()
    if rental.end_date >= today:
        raise InvalidTransition("A bérlés még nem járt le.")
    rental.status = Status.LATE
    rental.save()
    rental_late.send(sender=Rental, rental=rental)
    return rental


def mark_overdue_rentals(today: date | None = None) -> int:
    """Mark every overdue active rental late (one transaction each); returns the count."""
    today = today or timezone.localdate()
    overdue_ids = Rental.objects.filter(status=Status.ACTIVE, end_date__lt=today).values_list(
        "pk", flat=True
    )
    count = 0
    for rental_id in overdue_ids.iterator():
        try:
            mark_rental_late(Rental(pk=rental_id), today=today)
        except InvalidTransition:
            continue  # returned meanwhile
        count += 1
    return count


def announce_rentals_due_tomorrow(today: date | None = None) -> int:
    """Send `rental_due_tomorrow` once per active rental due tomorrow; returns the count sent.

    Each announcement runs in its own transaction so a receiver's outbox row commits with it.
    A `RentalReminder` row (unique per rental and due date) is inserted first: on a second
    run the same day the insert finds it and nothing is sent again.
    """
    tomorrow = (today or timezone.localdate()) + timedelta(days=1)
    count = 0
    due = Rental.objects.filter(status=Status.ACTIVE, end_date=tomorrow).exclude(
        reminders__due_date=tomorrow
    )
    for rental in due.iterator():
        with transaction.atomic():
            _, created = RentalReminder.objects.get_or_create(rental=rental, due_date=tomorrow)
            if not created:
                continue  # a concurrent run announced it a moment ago
            rental_due_tomorrow.send(sender=Rental, rental=rental)
        count += 1
    return count
