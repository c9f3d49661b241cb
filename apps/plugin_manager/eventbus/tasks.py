"""Celery tasks of the event bus: thin wrappers taking ids (JSON only).

The `*_many` tasks carry ids published together (a burst of saves, a sweep). They run
them one after the other, which spares a Celery round trip per id, but only for
BATCH_BUDGET_SECONDS: whatever is left then is handed out again one message per id, so
a slow subscriber holds up the others for one call at most. Deliveries are claimed and
finished a round of ids per statement (`outbox/delivery.py`, `run_deliveries`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from celery import shared_task

from apps.plugin_manager.eventbus import sweeper
from apps.plugin_manager.eventbus.dispatch import enqueue_inbound
from apps.plugin_manager.eventbus.inbox.processing import process_inbound_delivery
from apps.plugin_manager.eventbus.outbox.delivery import Outcome, run_deliveries, run_delivery

BATCH_BUDGET_SECONDS = 1.0


def _run_batch(
    ids: list[int], run: Callable[[int], object], hand_out: Callable[[Iterable[int]], int]
) -> str:
    deadline = time.monotonic() + BATCH_BUDGET_SECONDS
    for index, item_id in enumerate(ids):
        if index and time.monotonic() > deadline:
            hand_out(ids[index:])
            return f"ran {index}, handed out {len(ids) - index}"
        run(item_id)
    return f"ran {len(ids)}"


@shared_task(name="eventbus.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    return run_delivery(delivery_id).value


@shared_task(name="eventbus.deliver_many", ignore_result=True)
def deliver_many(delivery_ids: list[int]) -> str:
    result = run_deliveries(delivery_ids, budget=BATCH_BUDGET_SECONDS)
    ran = sum(o != Outcome.HANDED_OUT for o in result.outcomes.values())
    if result.handed_out:
        return f"ran {ran}, handed out {len(result.handed_out)}"
    return f"ran {ran}"


@shared_task(name="eventbus.process_inbound", ignore_result=True)
def process_inbound(inbound_id: int) -> str:
    return process_inbound_delivery(inbound_id).value


@shared_task(name="eventbus.process_inbound_many", ignore_result=True)
def process_inbound_many(inbound_ids: list[int]) -> str:
    return _run_batch(inbound_ids, process_inbound_delivery, enqueue_inbound)


@shared_task(name="eventbus.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    return sweeper.sweep()


@shared_task(name="eventbus.prune", ignore_result=True)
def prune() -> dict[str, int]:
    return sweeper.prune()
