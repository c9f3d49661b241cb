"""One delivery, run in-process against a real HTTP target: outcomes, attempts, leases,
ordering, the sweeper and pruning. (The worker-level guarantees are in test_faults.py.)"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from apps.plugin_manager import services
from apps.plugin_manager.eventbus import sweeper
from apps.plugin_manager.eventbus.manual_retry import retry_dead_for_subscriber, retry_deliveries
from apps.plugin_manager.eventbus.models import Delivery, DeliveryAttempt, Event
from apps.plugin_manager.eventbus.outbox.delivery import claim, run_delivery
from apps.plugin_manager.models import PluginState
from apps.plugin_manager.status import HealthStatus
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory
from tests.infrastructure.targets import Fault, RecordingTarget

from .helpers import enable_gamma

pytestmark = pytest.mark.django_db
S = Delivery.Status


def only_delivery(subscriber: str = "gamma") -> Delivery:
    return Delivery.objects.filter(subscriber=subscriber).latest("id")


@pytest.fixture
def gamma_to(target: RecordingTarget, tenant):
    enable_gamma(target.url, timeout_ms=300)
    return tenant


def test_success_sends_the_current_state_and_records_the_attempt(target, gamma_to) -> None:
    partner = PartnerFactory(tenant=gamma_to, name="Kovács Bt.")
    delivery = only_delivery()
    # Changed after the event, without an event of its own: the handler must re-read.
    Partner.objects.filter(pk=partner.pk).update(name="Kovács és Fia Bt.")

    assert run_delivery(delivery.pk) == "succeeded"
    (call,) = target.calls
    assert call.body["type"] == "partner.created"
    assert call.body["state"] == {"id": partner.pk, "name": "Kovács és Fia Bt."}
    assert call.body["attempt"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.locked_until) == (S.SUCCEEDED, 1, None)
    assert delivery.finished_at is not None
    (attempt,) = delivery.attempt_log.all()
    assert attempt.outcome == DeliveryAttempt.Outcome.SUCCESS and attempt.number == 1
    assert run_delivery(delivery.pk) == "not_claimed"  # never twice
    assert len(target.calls) == 1


@pytest.mark.parametrize(
    ("fault", "http_status", "min_delay", "max_delay"),
    [
        (Fault(status=500), 500, 0.04, 0.2),
        (Fault(status=503), 503, 0.04, 0.2),
        # Retry-After wins over the (shorter) backoff
        (Fault(status=429, headers={"Retry-After": "7"}), 429, 6.5, 7.5),
    ],
)
def test_transient_failures_are_retried_with_backoff(
    target, gamma_to, fault, http_status, min_delay, max_delay
) -> None:
    target.policy = lambda n, body: fault
    PartnerFactory(tenant=gamma_to)
    delivery = only_delivery()
    before = timezone.now()
    assert run_delivery(delivery.pk) == "retry"
    after = timezone.now()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_http_status) == (
        S.PENDING, 1, http_status,
    )
    # The backoff counts from the failed attempt, somewhere between `before` and `after`
    # (a loaded machine can take longer than the backoff itself to run the attempt).
    assert delivery.next_attempt_at - before >= timedelta(seconds=min_delay)
    assert delivery.next_attempt_at - after <= timedelta(seconds=max_delay)
    (attempt,) = delivery.attempt_log.all()
    assert (attempt.outcome, attempt.http_status) == (DeliveryAttempt.Outcome.RETRY, http_status)
    assert attempt.error.startswith(f"HTTP {http_status}")


def test_timeout_is_transient(target, gamma_to) -> None:
    target.policy = lambda n, body: Fault(delay=1.0)
    PartnerFactory(tenant=gamma_to)
    delivery = only_delivery()
    assert run_delivery(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("timeout")
    assert 250 <= delivery.attempt_log.get().duration_ms < 1000


def test_other_4xx_is_dead_at_once(target, gamma_to) -> None:
    target.policy = lambda n, body: Fault(status=422)
    PartnerFactory(tenant=gamma_to)
    delivery = only_delivery()
    assert run_delivery(delivery.pk) == "dead"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (S.DEAD, 1, "HTTP 422")
    assert delivery.attempt_log.get().outcome == DeliveryAttempt.Outcome.DEAD


def test_unexpected_exceptions_retry_until_max_attempts_then_dead(
    target, tenant, settings
) -> None:
    settings.EVENTBUS_MAX_ATTEMPTS = 3
    target.policy = lambda n, body: Fault(status=500)
    # beta's handler lets requests' HTTPError escape: not one of our error types
    services.update_settings("beta", None, {"endpoint": target.url})
    services.set_enabled("beta", None, True)
    partner = PartnerFactory(tenant=tenant)
    partner.save()
    delivery = only_delivery("beta")
    outcomes = []
    for _ in range(3):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        outcomes.append(run_delivery(delivery.pk))
    assert outcomes == ["retry", "retry", "dead"]
    delivery.refresh_from_db()
    assert delivery.status == S.DEAD and delivery.last_error.startswith("HTTPError: 500")
    assert [a.number for a in delivery.attempt_log.order_by("started_at")] == [1, 2, 3]

    # the admin's "retry all dead of this subscriber" grants a fresh set of attempts
    target.policy = lambda n, body: Fault()
    assert retry_dead_for_subscriber("beta", Delivery.objects.all()) == 1
    assert run_delivery(delivery.pk) == "succeeded"
    assert delivery.attempt_log.count() == 4


def test_disabled_plugin_gets_no_call_and_the_delivery_is_skipped(target, gamma_to) -> None:
    PartnerFactory(tenant=gamma_to)
    services.set_enabled("gamma", gamma_to, False)  # switched off for this tenant only
    delivery = only_delivery()
    assert run_delivery(delivery.pk) == "skipped"
    assert target.calls == []
    delivery.refresh_from_db()
    assert delivery.status == S.SKIPPED
    assert delivery.attempt_log.get().outcome == DeliveryAttempt.Outcome.SKIPPED


def test_open_circuit_keeps_the_delivery_queued_without_an_attempt(target, gamma_to) -> None:
    PartnerFactory(tenant=gamma_to)
    PluginState.objects.filter(plugin_id="gamma", tenant__isnull=True).update(
        health_status=HealthStatus.DOWN
    )
    from apps.plugin_manager.snapshot import bump_version

    bump_version()
    delivery = only_delivery()
    assert run_delivery(delivery.pk) == "postponed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.locked_until) == (S.PENDING, 0, None)
    assert delivery.next_attempt_at > timezone.now()
    assert not delivery.attempt_log.exists() and target.calls == []


def test_deliveries_of_one_object_run_in_order(target, gamma_to) -> None:
    partner = PartnerFactory(tenant=gamma_to)
    partner.name = "Második"
    partner.save()
    first, second = Delivery.objects.order_by("id")
    assert run_delivery(second.pk) == "not_claimed"  # its predecessor is still pending
    assert run_delivery(first.pk) == "succeeded"
    assert run_delivery(second.pk) == "succeeded"
    assert [c.body["type"] for c in target.calls] == ["partner.created", "partner.updated"]
    # another object is not held up by this one
    other = PartnerFactory(tenant=gamma_to)
    other.save()
    assert run_delivery(only_delivery().pk) == "not_claimed"
    assert run_delivery(Delivery.objects.filter(object_id=str(other.pk)).earliest("id").pk) == (
        "succeeded"
    )


def test_a_lease_keeps_others_out_until_it_expires(target, gamma_to) -> None:
    gamma_to.modules_enabled = ["support", "crm"]
    gamma_to.save()
    PartnerFactory(tenant=gamma_to)
    delivery = only_delivery()
    first = claim(delivery.pk)
    assert first is not None
    # the claim brings the event and its whole tenant row along
    assert first.event.tenant.modules_enabled == ["support", "crm"]
    assert first.event.tenant.slug == gamma_to.slug and first.event.type == "partner.created"
    assert claim(delivery.pk) is None  # held
    assert run_delivery(delivery.pk) == "not_claimed"
    # the first worker died; after its lease another one may take over
    later = timezone.now() + timedelta(seconds=4)
    taken_over = claim(delivery.pk, now=later)
    assert taken_over is not None and taken_over.token != first.token


def test_sweeper_enqueues_due_heads_of_each_chain_only(gamma_to, private_broker) -> None:
    broker = redis.Redis.from_url(private_broker.url)
    broker.delete("celery")
    partner = PartnerFactory(tenant=gamma_to)  # created + updated: a chain of two
    partner.save()
    lone = PartnerFactory(tenant=gamma_to)
    heads = {
        Delivery.objects.filter(object_id=str(partner.pk)).earliest("id").pk,
        Delivery.objects.get(object_id=str(lone.pk)).pk,
    }
    assert sweeper.sweep() == {"deliveries": 2, "inbound": 0}
    (message,) = [json.loads(m) for m in broker.lrange("celery", 0, -1)]
    assert message["headers"]["task"] == "eventbus.deliver_many"  # one message, both ids
    (ids,), _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert ids == sorted(heads)
    broker.delete("celery")


def test_sweeper_leaves_running_and_future_rows_alone(gamma_to, private_broker, settings) -> None:
    settings.EVENTBUS_SWEEP_GRACE_SECONDS = 60
    PartnerFactory(tenant=gamma_to)
    delivery = only_delivery()
    assert sweeper.sweep()["deliveries"] == 0  # not overdue yet
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert claim(delivery.pk) is not None
    assert sweeper.sweep()["deliveries"] == 0  # leased: a worker has it
    assert sweeper.sweep(now=timezone.now() + timedelta(seconds=10))["deliveries"] == 1
    redis.Redis.from_url(private_broker.url).delete("celery")


def test_prune_keeps_dead_and_recent_rows(target, gamma_to) -> None:
    for _ in range(3):
        PartnerFactory(tenant=gamma_to)
    old_ok, old_dead, recent_ok = Delivery.objects.order_by("id")
    for d in (old_ok, recent_ok):
        assert run_delivery(d.pk) == "succeeded"
    target.policy = lambda n, body: Fault(status=400)
    assert run_delivery(old_dead.pk) == "dead"
    long_ago = timezone.now() - timedelta(days=8)
    Delivery.objects.filter(pk__in=(old_ok.pk, old_dead.pk)).update(finished_at=long_ago)
    Event.objects.filter(pk__in=(old_ok.event_id, old_dead.event_id)).update(
        occurred_at=long_ago
    )

    result = sweeper.prune()
    assert result["deliveries"] == 1 and result["events"] == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {old_dead.pk, recent_ok.pk}
    assert not DeliveryAttempt.objects.filter(delivery_id=old_ok.pk).exists()
    assert not Event.objects.filter(pk=old_ok.event_id).exists()


def test_retry_leaves_succeeded_and_running_deliveries_alone(target, gamma_to) -> None:
    PartnerFactory(tenant=gamma_to)
    PartnerFactory(tenant=gamma_to)
    done, running = Delivery.objects.order_by("id")
    assert run_delivery(done.pk) == "succeeded"
    assert claim(running.pk) is not None
    assert retry_deliveries(Delivery.objects.all()) == 0
