"""Deliveries run in rounds (a `deliver_many` message): one claim statement per round, and
still every guarantee of a single delivery: per-object order, an outcome only while the
lease is ours and written before the next call, an attempt row per call, retries
classified one by one.

In-process against a real HTTP target and the test database, as test_delivery.py."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import pytest
import redis

from apps.plugin_manager.eventbus.models import Delivery, DeliveryAttempt
from apps.plugin_manager.eventbus.outbox import claims as claims_module
from apps.plugin_manager.eventbus.outbox import delivery as delivery_module
from apps.plugin_manager.eventbus.outbox.delivery import (
    ROUND_SIZE,
    Outcome,
    claim,
    run_deliveries,
)
from tests.factories import PartnerFactory
from tests.infrastructure.targets import Fault, RecordingTarget

from .helpers import enable_gamma

pytestmark = pytest.mark.django_db
S = Delivery.Status


@pytest.fixture
def gamma_to(target: RecordingTarget, tenant):
    enable_gamma(target.url, timeout_ms=300)
    return tenant


@pytest.fixture
def broker(private_broker) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(private_broker.url)
    client.delete("celery")
    yield client
    client.delete("celery")


def _messages(broker: redis.Redis) -> list[tuple[str, object]]:
    """(task name, argument) of every message waiting in the broker, oldest first."""
    found = []
    for raw in reversed(broker.lrange("celery", 0, -1)):
        message = json.loads(raw)
        (argument,), _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], argument))
    return found


def _deliveries(count: int, tenant) -> list[Delivery]:
    for _ in range(count):
        PartnerFactory(tenant=tenant)
    return list(Delivery.objects.order_by("id"))


def test_a_round_is_claimed_by_one_statement_and_each_outcome_written_before_the_next_call(
    target, gamma_to, monkeypatch
) -> None:
    deliveries = _deliveries(5, gamma_to)
    ids = [d.pk for d in deliveries]
    real_invoke = delivery_module.invoke_subscriber
    seen_before_call: list[list[str]] = []

    def watching(subscriber, event, attempt, delivery_id, *current):
        # What a worker killed now would leave: every earlier call already recorded.
        statuses = Delivery.objects.filter(pk__in=ids).order_by("id")
        seen_before_call.append(list(statuses.values_list("status", flat=True)))
        return real_invoke(subscriber, event, attempt, delivery_id, *current)

    monkeypatch.setattr(delivery_module, "invoke_subscriber", watching)
    statements: list[str] = []
    real_execute = claims_module._execute

    def counting(sql, params):
        statements.append(sql)
        return real_execute(sql, params)

    monkeypatch.setattr(claims_module, "_execute", counting)
    result = run_deliveries(ids)
    assert result.outcomes == dict.fromkeys(ids, Outcome.SUCCEEDED)
    claims = [sql for sql in statements if "FOR UPDATE OF c SKIP LOCKED" in sql]
    assert len(claims) == 1  # all five leased by one statement
    assert len(statements) == 1 + 5  # and one finish per call
    assert seen_before_call == [
        [S.SUCCEEDED] * done + [S.PENDING] * (5 - done) for done in range(5)
    ]
    assert len(target.calls) == 5
    for d in Delivery.objects.filter(pk__in=ids):
        assert (d.status, d.attempts, d.locked_until, d.lease_token) == (
            S.SUCCEEDED, 1, None, None)
        assert d.finished_at is not None
    assert DeliveryAttempt.objects.filter(delivery_id__in=ids, number=1,
                                          outcome="success").count() == 5
    assert run_deliveries(ids).outcomes == dict.fromkeys(ids, Outcome.NOT_CLAIMED)
    assert len(target.calls) == 5  # never twice


def test_one_failing_delivery_of_a_round_is_retried_alone(target, gamma_to, broker) -> None:
    deliveries = _deliveries(3, gamma_to)
    failing = deliveries[1]
    target.policy = lambda n, body: Fault(
        status=503 if body["event_pk"] == failing.event_id else 200
    )
    result = run_deliveries([d.pk for d in deliveries])
    assert [result.outcomes[d.pk] for d in deliveries] == [
        Outcome.SUCCEEDED, Outcome.RETRY, Outcome.SUCCEEDED]
    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.last_http_status) == (S.PENDING, 1, 503)
    assert failing.lease_token is None and failing.locked_until is None
    assert list(failing.attempt_log.values_list("outcome", "http_status")) == [("retry", 503)]
    assert _messages(broker) == [("eventbus.deliver", failing.pk)]  # its retry, nothing else
    for d in (deliveries[0], deliveries[2]):
        d.refresh_from_db()
        assert d.status == S.SUCCEEDED


def test_a_failing_predecessor_holds_its_successor_back_within_the_round(
    target, gamma_to, broker
) -> None:
    partner = PartnerFactory(tenant=gamma_to)
    partner.name = "Második"
    partner.save()
    first, second = Delivery.objects.order_by("id")
    target.policy = lambda n, body: Fault(status=500)
    result = run_deliveries([first.pk, second.pk])
    assert result.outcomes == {first.pk: Outcome.RETRY, second.pk: Outcome.NOT_CLAIMED}
    assert [c.body["type"] for c in target.calls] == ["partner.created"]
    second.refresh_from_db()
    assert (second.status, second.attempts, second.lease_token) == (S.PENDING, 0, None)
    assert not second.attempt_log.exists()
    assert _messages(broker) == [("eventbus.deliver", first.pk)]  # the retry only


def test_a_chain_in_one_message_runs_in_order_within_the_message(
    target, gamma_to, broker
) -> None:
    partner = PartnerFactory(tenant=gamma_to)
    for name in ("Második", "Harmadik"):
        partner.name = name
        partner.save()
    other = PartnerFactory(tenant=gamma_to)
    ids = list(Delivery.objects.order_by("id").values_list("pk", flat=True))
    assert len(ids) == 4
    result = run_deliveries(ids)
    assert set(result.outcomes.values()) == {Outcome.SUCCEEDED}
    chain = [c.body["type"] for c in target.calls if c.body["object_id"] == str(partner.pk)]
    assert chain == ["partner.created", "partner.updated", "partner.updated"]
    assert [c.body["object_id"] for c in target.calls].count(str(other.pk)) == 1
    assert _messages(broker) == []  # the successors ran here, none was enqueued
    assert not Delivery.objects.exclude(status=S.SUCCEEDED).exists()


def test_a_successor_outside_the_message_is_enqueued(target, gamma_to, broker) -> None:
    partner = PartnerFactory(tenant=gamma_to)
    partner.save()
    first, second = Delivery.objects.order_by("id")
    assert run_deliveries([first.pk]).outcomes == {first.pk: Outcome.SUCCEEDED}
    assert _messages(broker) == [("eventbus.deliver", second.pk)]


def test_a_lease_lost_mid_round_keeps_that_outcome_out_and_the_others_in(
    target, gamma_to, broker, monkeypatch
) -> None:
    partner = PartnerFactory(tenant=gamma_to)
    partner.save()  # the taken-over delivery has a successor: it must not be handed over
    taken, successor = Delivery.objects.order_by("id")
    before, after = PartnerFactory(tenant=gamma_to), PartnerFactory(tenant=gamma_to)
    neighbours = [Delivery.objects.get(object_id=str(p.pk)) for p in (before, after)]
    ids = sorted([taken.pk, *(d.pk for d in neighbours)])
    other_worker = uuid.uuid4()
    real_invoke = delivery_module.invoke_subscriber

    def call_outliving_its_lease(subscriber, event, attempt, delivery_id, *current):
        status = real_invoke(subscriber, event, attempt, delivery_id, *current)
        if delivery_id == taken.pk:
            # Our lease expired during the call and another worker claimed the row.
            Delivery.objects.filter(pk=taken.pk).update(lease_token=other_worker)
        return status

    monkeypatch.setattr(delivery_module, "invoke_subscriber", call_outliving_its_lease)
    result = run_deliveries(ids)
    assert set(result.outcomes.values()) == {Outcome.SUCCEEDED}  # every call was made
    taken.refresh_from_db()
    assert (taken.status, taken.attempts, taken.lease_token) == (S.PENDING, 0, other_worker)
    assert taken.finished_at is None
    assert list(taken.attempt_log.values_list("outcome", flat=True)) == ["success"]
    for d in neighbours:
        d.refresh_from_db()
        assert (d.status, d.attempts, d.lease_token) == (S.SUCCEEDED, 1, None)
    # not finished by us: its successor is neither run nor enqueued
    assert _messages(broker) == []
    successor.refresh_from_db()
    assert successor.status == S.PENDING and not successor.attempt_log.exists()


def test_a_spent_budget_releases_the_claimed_rest_and_hands_it_out(
    target, gamma_to, broker
) -> None:
    deliveries = _deliveries(4, gamma_to)
    ids = [d.pk for d in deliveries]
    result = run_deliveries(ids, budget=0.0)
    ran, *rest = ids
    assert result.outcomes[ran] == Outcome.SUCCEEDED  # at least one call, always
    assert result.handed_out == rest
    assert len(target.calls) == 1
    for d in Delivery.objects.filter(pk__in=rest):
        assert (d.status, d.attempts, d.locked_until, d.lease_token) == (
            S.PENDING, 0, None, None)
        assert not d.attempt_log.exists()
    # one message each, and nobody has to wait for a lease to expire
    assert _messages(broker) == [("eventbus.deliver", d_id) for d_id in rest]
    assert all(claim(d_id) is not None for d_id in rest)


def test_a_spent_budget_hands_out_the_rounds_not_yet_claimed(target, gamma_to, broker) -> None:
    deliveries = _deliveries(ROUND_SIZE + 2, gamma_to)
    ids = [d.pk for d in deliveries]
    result = run_deliveries(ids, budget=0.0)
    # one call; the first round's other claims released, the later rounds never claimed
    assert result.outcomes[ids[0]] == Outcome.SUCCEEDED
    assert result.handed_out == ids[1:]
    assert not Delivery.objects.filter(lease_token__isnull=False).exists()
    assert [argument for _task, argument in _messages(broker)] == ids[1:]


def test_duplicate_ids_in_a_message_run_once(target, gamma_to) -> None:
    (only,) = _deliveries(1, gamma_to)
    assert run_deliveries([only.pk, only.pk]).outcomes == {only.pk: Outcome.SUCCEEDED}
    assert len(target.calls) == 1


def test_a_claim_is_called_only_while_half_its_lease_is_left(
    target, gamma_to, broker, settings
) -> None:
    # The round's leases run from its claim; a slow first call uses up half of them.
    settings.EVENTBUS_LEASE_SECONDS = 0.4
    target.policy = lambda n, body: Fault(delay=0.25 if n == 1 else 0.0)
    deliveries = _deliveries(3, gamma_to)
    ids = [d.pk for d in deliveries]
    result = run_deliveries(ids)  # no time budget: only the leases stop the round
    assert result.outcomes[ids[0]] == Outcome.SUCCEEDED
    assert result.handed_out == ids[1:]
    assert len(target.calls) == 1
    assert not Delivery.objects.filter(lease_token__isnull=False).exists()
    assert [argument for _task, argument in _messages(broker)] == ids[1:]
