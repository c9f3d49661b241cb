"""Outbound webhook subscriptions: the signed request our receivers get."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.plugin_manager.eventbus.models import Delivery, WebhookSubscription
from apps.plugin_manager.eventbus.object_refs import load_objects
from apps.plugin_manager.eventbus.outbox.delivery import run_deliveries, run_delivery
from apps.plugin_manager.eventbus.signatures import verify_kgc
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory
from tests.infrastructure.targets import Fault

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(target, tenant) -> WebhookSubscription:
    subscription = WebhookSubscription(
        tenant=tenant, name="Support push", target_url=target.url,
        event_types=["partner.created", "partner.updated"],
    )
    subscription.set_new_secret()
    subscription.save()
    return subscription


def test_signed_json_post_with_the_current_state(target, subscription, tenant) -> None:
    partner = PartnerFactory(tenant=tenant, name="Szabó Kft.", tax_number="12345678-2-08")
    delivery = Delivery.objects.get()
    assert run_delivery(delivery.pk) == "succeeded"

    (call,) = target.calls
    headers = {k.lower(): v for k, v in call.headers.items()}
    verification = verify_kgc(call.headers, call.raw, subscription.secret, timezone.now())
    assert verification.ok, verification.reason
    assert headers["content-type"] == "application/json"
    assert headers["x-kgc-event-id"] == str(delivery.event.uuid)
    assert headers["x-kgc-signature"].startswith("sha256=")
    body = json.loads(call.raw)
    assert body["id"] == str(delivery.event.uuid)
    assert body["type"] == "partner.created"
    assert body["tenant"] == tenant.slug
    assert body["object"] == {"type": "partners.partner", "id": str(partner.pk)}
    assert body["data"]["name"] == "Szabó Kft." and body["data"]["phone"] == partner.phone
    assert "tax_number" not in body["data"]  # never leaves the ERP
    assert "12345678" not in call.raw.decode()
    assert datetime.fromisoformat(body["occurred_at"]) <= timezone.now()
    delivery.refresh_from_db()
    assert delivery.last_http_status == 200


def test_deleted_object_is_sent_with_null_data(target, subscription, tenant) -> None:
    subscription.event_types = ["partner.deleted"]
    subscription.save()
    partner = PartnerFactory(tenant=tenant)
    partner_id = partner.pk
    partner.delete()
    assert run_delivery(Delivery.objects.get().pk) == "succeeded"
    body = target.calls[0].body
    assert body["type"] == "partner.deleted"
    assert body["data"] is None and body["payload"] == {"erased": False}
    assert body["object"]["id"] == str(partner_id)


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    target, subscription, tenant
) -> None:
    old = subscription.secret
    new = subscription.rotate_secret(timedelta(hours=24))
    subscription.save()
    PartnerFactory(tenant=tenant)
    assert run_delivery(Delivery.objects.get().pk) == "succeeded"
    call = target.calls[0]
    assert call.headers["X-KGC-Signature"].count("sha256=") == 2
    now = timezone.now()
    assert verify_kgc(call.headers, call.raw, new, now).ok
    assert verify_kgc(call.headers, call.raw, old, now).ok  # receivers not yet switched
    # after the grace period only the new secret signs
    later = datetime.now(UTC) + timedelta(hours=25)
    assert subscription.signing_secrets(later) == [new]


def test_inactive_subscription_is_skipped(target, subscription, tenant) -> None:
    PartnerFactory(tenant=tenant)
    subscription.is_active = False
    subscription.save()
    assert run_delivery(Delivery.objects.get().pk) == "skipped"
    assert target.calls == []


def test_receiver_errors_are_classified(target, subscription, tenant) -> None:
    target.policy = lambda n, body: Fault(status=401)
    PartnerFactory(tenant=tenant)
    delivery = Delivery.objects.get()
    assert run_delivery(delivery.pk) == "dead"
    delivery.refresh_from_db()
    assert delivery.last_http_status == 401


def test_unreachable_receiver_is_a_connection_error(subscription, tenant) -> None:
    subscription.target_url = "http://127.0.0.1:9/closed"
    subscription.save()
    PartnerFactory(tenant=tenant)
    delivery = Delivery.objects.get()
    assert run_delivery(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("connection error")


def test_a_round_reads_its_rows_in_one_statement_and_sends_each_its_own(
    target, subscription, tenant
) -> None:
    partners = [PartnerFactory(tenant=tenant, name=f"Partner {i}") for i in range(3)]
    gone = PartnerFactory(tenant=tenant, name="Törölt")
    ids = list(Delivery.objects.order_by("id").values_list("pk", flat=True))
    Partner.objects.filter(pk=gone.pk).delete()  # no event: the row is simply gone
    # Changed after the events, without events of their own: the round must re-read.
    Partner.objects.filter(pk=partners[0].pk).update(name="Partner 0 (új)")
    with CaptureQueriesContext(connection) as queries:
        result = run_deliveries(ids)
    assert set(result.outcomes.values()) == {"succeeded"}
    reads = [q for q in queries.captured_queries if 'FROM "partners_partner"' in q["sql"]]
    assert len(reads) == 1
    data = {json.loads(c.raw)["object"]["id"]: json.loads(c.raw)["data"] for c in target.calls}
    assert data[str(gone.pk)] is None
    assert {data[str(p.pk)]["name"] for p in partners} == {
        "Partner 0 (új)", "Partner 1", "Partner 2"}


def test_load_objects_by_id_in_one_statement(tenant) -> None:
    first, second = PartnerFactory(tenant=tenant), PartnerFactory(tenant=tenant)
    missing = str(second.pk + 1000)
    found = load_objects("partners.partner", [str(first.pk), str(second.pk), missing, "x"])
    assert found is not None
    assert found[str(first.pk)] == first and found[str(second.pk)] == second
    assert found[str(first.pk)].name == first.name
    assert found[missing] is None and found["x"] is None  # gone, or not a key at all
    assert load_objects("helpdesk.conversation", ["1"]) is None  # not a local model
