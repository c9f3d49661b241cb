"""Celery tasks of the bot API (scheduled by migration 0003 in django-celery-beat)."""

from __future__ import annotations

from celery import shared_task

from .retention import purge_expired


@shared_task(name="bot_api.purge_expired_records")
def purge_expired_records_task() -> dict[str, int]:
    return purge_expired()
