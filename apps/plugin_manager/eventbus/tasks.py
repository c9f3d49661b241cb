"""Celery tasks of the event bus: thin wrappers taking ids (JSON only)."""

from __future__ import annotations

from celery import shared_task

from . import sweeper
from .delivery import run_delivery
from .inbox.processing import process_inbound_delivery


@shared_task(name="eventbus.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    return run_delivery(delivery_id).value


@shared_task(name="eventbus.process_inbound", ignore_result=True)
def process_inbound(inbound_id: int) -> str:
    return process_inbound_delivery(inbound_id).value


@shared_task(name="eventbus.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    return sweeper.sweep()


@shared_task(name="eventbus.prune", ignore_result=True)
def prune() -> dict[str, int]:
    return sweeper.prune()
