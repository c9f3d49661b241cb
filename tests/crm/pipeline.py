"""Helpers of the pipeline tests: wait for the worker, read the CRM's deliveries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from apps.plugin_manager.eventbus.models import Delivery

T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def crm_deliveries() -> list[Delivery]:
    return list(Delivery.objects.filter(subscriber="crm").select_related("event").order_by("id"))


def all_crm_deliveries_finished() -> bool:
    deliveries = crm_deliveries()
    return bool(deliveries) and all(d.status in Delivery.FINISHED for d in deliveries)
