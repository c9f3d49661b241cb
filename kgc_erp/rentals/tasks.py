"""Periodic rental housekeeping run by Celery beat."""

from celery import shared_task

from .services import announce_rentals_due_tomorrow, mark_overdue_rentals


@shared_task(name="rentals.mark_overdue_rentals")
def mark_overdue_rentals_task() -> int:
    return mark_overdue_rentals()


@shared_task(name="rentals.announce_rentals_due_tomorrow")
def announce_rentals_due_tomorrow_task() -> int:
    return announce_rentals_due_tomorrow()
