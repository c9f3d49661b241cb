"""Group commit of accepted inbound deliveries: concurrent requests' rows share one
statement, every request learns its own row's fate, a replay inside a batch is a replay,
and one row the database refuses does not fail the others."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable

import pytest
from django.db import OperationalError, connection

from apps.plugin_manager.eventbus.inbox import group_commit as group_commit_module
from apps.plugin_manager.eventbus.inbox.group_commit import GroupCommit
from apps.plugin_manager.eventbus.inbox.storage import AcceptedRow
from apps.plugin_manager.eventbus.models import InboundDelivery
from kgc_erp.tenants.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = "gamma-chatwoot"


def accepted(tenant_id: int | None, delivery_id: str) -> AcceptedRow:
    return AcceptedRow(
        source=SOURCE,
        tenant_id=tenant_id,
        delivery_id=delivery_id,
        dedupe_key=f"id:{delivery_id}",
        event_type="message_created",
        headers={"X-Chatwoot-Delivery": delivery_id},
        raw_body=b'{"event": "message_created"}',
        verification="ok",
        signed_at=None,
        status=InboundDelivery.Status.IGNORED,
        processed=True,  # nothing to publish: these tests are about storing
    )


@pytest.fixture
def statements(monkeypatch) -> list[int]:
    """Rows per INSERT statement; the first statement is held for a moment, so the rows
    of the requests arriving meanwhile queue up behind it (a burst, made deterministic)."""
    sizes: list[int] = []
    real_insert = group_commit_module.insert_rows

    def counting_insert(rows):
        sizes.append(len(rows))
        if len(sizes) == 1:
            time.sleep(0.3)
        return real_insert(rows)

    monkeypatch.setattr(group_commit_module, "insert_rows", counting_insert)
    return sizes


def run_concurrently(store: Callable[[AcceptedRow], int | None], rows: Iterable[AcceptedRow],
                     ) -> list[int | Exception | None]:
    """Each row stored from its own thread (its own connection, autocommit), in order of
    arrival: the first thread is let in alone, the rest while it writes."""
    rows = list(rows)
    results: list[int | Exception | None] = [None] * len(rows)

    def request(index: int) -> None:
        try:
            results[index] = store(rows[index])
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(len(rows))]
    threads[0].start()
    time.sleep(0.1)  # the first request is now writing (and held)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_burst_shares_statements_and_each_request_gets_its_own_row(
    tenant_tx: Tenant, statements: list[int]
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(12)]
    # Three deliveries arrive twice within the burst (a sender's quick retry).
    rows = [accepted(tenant_tx.pk, delivery_id) for delivery_id in ids + ids[:3]]

    results = run_concurrently(GroupCommit().store, rows)

    assert statements[0] == 1 and len(statements) < len(rows)  # the burst was batched
    assert sum(statements) == len(rows)
    stored = dict(InboundDelivery.objects.filter(source=SOURCE).values_list("delivery_id", "pk"))
    assert set(stored) == set(ids)
    for delivery_id in ids:
        outcomes = [result for row, result in zip(rows, results, strict=True)
                    if row.delivery_id == delivery_id]
        assert [o for o in outcomes if o is not None] == [stored[delivery_id]]  # one winner
        assert outcomes.count(None) == len(outcomes) - 1  # the copy is a replay


def test_a_row_the_database_refuses_fails_alone(
    tenant_tx: Tenant, statements: list[int]
) -> None:
    missing_tenant = Tenant.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    good = [accepted(tenant_tx.pk, str(uuid.uuid4())) for _ in range(4)]
    bad = accepted(missing_tenant, str(uuid.uuid4()))
    rows = [good[0], good[1], bad, good[2], good[3]]

    results = run_concurrently(GroupCommit().store, rows)

    assert isinstance(results[2], OperationalError)
    assert all(isinstance(results[i], int) for i in (0, 1, 3, 4))
    assert set(InboundDelivery.objects.filter(source=SOURCE).values_list("delivery_id",
                                                                          flat=True)) == {
        row.delivery_id for row in good
    }


def test_a_lost_connection_fails_the_batch_with_503_material(monkeypatch,
                                                             tenant_tx: Tenant) -> None:
    def broken(rows):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(group_commit_module, "insert_rows", broken)
    with pytest.raises(OperationalError):
        GroupCommit().store(accepted(tenant_tx.pk, str(uuid.uuid4())))
    assert not InboundDelivery.objects.filter(source=SOURCE).exists()


def test_an_unexpected_error_settles_every_waiting_request(monkeypatch,
                                                           tenant_tx: Tenant) -> None:
    calls: list[int] = []

    def buggy(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            time.sleep(0.3)  # the others queue behind this one
        raise RuntimeError("a bug in the statement builder")

    monkeypatch.setattr(group_commit_module, "insert_rows", buggy)
    rows = [accepted(tenant_tx.pk, str(uuid.uuid4())) for _ in range(5)]
    started = time.monotonic()
    results = run_concurrently(GroupCommit().store, rows)
    assert time.monotonic() - started < 10  # nobody waits for a slot no one will settle
    assert all(isinstance(result, OperationalError) for result in results)
    assert len(calls) < len(rows)  # the queued ones failed together, as one batch
