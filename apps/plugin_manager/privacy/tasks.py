"""Celery tasks of the privacy app (thin wrappers)."""

from __future__ import annotations

from celery import shared_task

from .retention import apply_retention


@shared_task(name="privacy.apply_retention")
def apply_retention_task() -> dict[str, int]:
    return apply_retention()
