"""Document numbers under concurrency: 20 simultaneous creates, each on its own database
connection, get numbers 1..20 of the year with no duplicate and no gap."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from kgc_erp.partners.models import Partner
from tests.factories import MachineFactory, PartnerFactory, open_worklog, place_order, start_rental

CREATORS = 20


def _rental(partner: Partner) -> str:
    return start_rental(partner, machine=MachineFactory()).number


def _worklog(partner: Partner) -> str:
    return open_worklog(partner).number


def _order(partner: Partner) -> str:
    return place_order(partner).number


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("prefix", "create"), [("R", _rental), ("M", _worklog), ("O", _order)])
def test_twenty_concurrent_creates_get_consecutive_numbers(
    prefix: str, create: Callable[[Partner], str]
) -> None:
    partners = [PartnerFactory() for _ in range(CREATORS)]
    barrier = threading.Barrier(CREATORS)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker(partner: Partner) -> None:
        try:
            barrier.wait(timeout=30)
            numbers.append(create(partner))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(p,)) for p in partners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = timezone.localdate().year
    assert sorted(numbers) == [f"{prefix}-{year}-{n:04d}" for n in range(1, CREATORS + 1)]
