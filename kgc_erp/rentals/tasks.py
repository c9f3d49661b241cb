"""Periodic rental housekeeping run by Celery beat."""

from celery import shared_task

from .services import mark_overdue_rentals


@shared_task(name="rentals.mark_overdue_rentals")
def mark_overdue_rentals_task() -> int:
    return mark_overdue_rentals()
