"""Core signals become outbox rows in the same transaction, one delivery per subscriber."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery, Event, WebhookSubscription
from apps.plugin_manager.eventbus.outbox.recording import emit_event
from kgc_erp.partners.services import erase_partner
from kgc_erp.rentals.services import (
    announce_rentals_due_tomorrow,
    mark_rental_late,
    return_rental,
)
from kgc_erp.sales.services import mark_order_arrived, mark_order_delivered, mark_order_ordered
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import change_worklog_status
from tests.factories import PartnerFactory, open_worklog, place_order, start_rental

from .helpers import enable_gamma

pytestmark = pytest.mark.django_db


def _events(event_type: str | None = None) -> list[Event]:
    events = Event.objects.order_by("id")
    if event_type:
        events = events.filter(type=event_type)
    return list(events)


def test_no_event_is_written_when_nobody_subscribes(tenant) -> None:
    PartnerFactory(tenant=tenant)
    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_partner_lifecycle_becomes_events_with_one_delivery_per_subscriber(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    services.update_settings("beta", None, {"endpoint": "http://127.0.0.1:9/beta"})
    services.set_enabled("beta", None, True)

    partner = PartnerFactory(tenant=tenant)
    partner.name = "Új Név Kft."
    partner.save()
    partner_id = partner.pk
    partner.delete()

    created, updated, deleted = _events()
    assert (created.type, updated.type, deleted.type) == (
        "partner.created",
        "partner.updated",
        "partner.deleted",
    )
    for event in (created, updated, deleted):
        assert (event.tenant_id, event.object_type, event.object_id) == (
            tenant.pk,
            "partners.partner",
            str(partner_id),
        )
    assert deleted.payload == {"erased": False}
    # gamma subscribes to all three, beta only to partner.updated
    assert sorted(created.deliveries.values_list("subscriber", flat=True)) == ["gamma"]
    assert sorted(updated.deliveries.values_list("subscriber", flat=True)) == ["beta", "gamma"]
    delivery = updated.deliveries.get(subscriber="gamma")
    assert (delivery.status, delivery.attempts, delivery.tenant_id) == ("pending", 0, tenant.pk)
    assert (delivery.object_type, delivery.object_id) == ("partners.partner", str(partner_id))


def test_erasure_is_a_partner_deleted_event_marked_erased(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    partner = PartnerFactory(tenant=tenant)
    erase_partner(partner)
    event = _events("partner.deleted")[0]
    assert event.payload == {"erased": True}
    assert event.object_id == str(partner.pk)


def test_rental_worklog_and_order_signals(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    partner = PartnerFactory(tenant=tenant)
    rental = start_rental(partner)
    (started,) = _events("rental.started")
    assert started.payload == {"number": rental.number}
    assert (started.object_type, started.object_id) == ("rentals.rental", str(rental.pk))

    worklog = open_worklog(partner)
    change_worklog_status(worklog, Worklog.Status.DIAGNOSIS)
    change_worklog_status(worklog, Worklog.Status.QUOTE, quote_amount=12000)
    changed = _events("worklog.status_changed")
    assert [e.payload["new_status"] for e in changed] == ["diagnosztika", "arajanlat"]
    (quote_ready,) = _events("worklog.quote_ready")
    assert quote_ready.payload == {
        "number": worklog.number,
        "old_status": "diagnosztika",
        "new_status": "arajanlat",
    }
    assert quote_ready.object_type == "service.worklog"


def test_rental_and_order_lifecycle_for_a_webhook_subscriber(tenant) -> None:
    subscription = WebhookSubscription(
        tenant=tenant, name="Értesítések", target_url="https://hooks.example.hu/kgc",
        event_types=["rental.late", "rental.completed", "rental.due_tomorrow",
                     "order.arrived", "order.delivered"],
    )
    subscription.set_new_secret()
    subscription.save()
    partner = PartnerFactory(tenant=tenant)
    today = timezone.localdate()
    due = start_rental(partner, start_date=today - timedelta(days=2), end_date=today
                       + timedelta(days=1))
    late = start_rental(partner, start_date=today - timedelta(days=5), end_date=today
                        - timedelta(days=1))
    assert announce_rentals_due_tomorrow(today) == 1
    mark_rental_late(late, today=today)
    return_rental(late)
    order = place_order(partner)
    order = mark_order_ordered(order)
    order = mark_order_arrived(order)
    mark_order_delivered(order)

    assert [(e.type, e.object_id) for e in _events()] == [
        ("rental.due_tomorrow", str(due.pk)),
        ("rental.late", str(late.pk)),
        ("rental.completed", str(late.pk)),
        ("order.arrived", str(order.pk)),
        ("order.delivered", str(order.pk)),
    ]
    assert _events("order.arrived")[0].payload == {"number": order.number}
    assert _events("order.arrived")[0].object_type == "sales.order"
    assert Delivery.objects.filter(subscriber=subscription.subscriber_key).count() == 5


def test_events_gamma_does_not_subscribe_to_are_not_written(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    partner = PartnerFactory(tenant=tenant)
    rental = start_rental(partner)
    return_rental(rental)
    place_order(partner)
    assert _events("rental.completed") == []
    assert _events("order.arrived") == []


def test_webhook_subscription_of_the_tenant_gets_a_delivery(tenant) -> None:
    subscription = WebhookSubscription(
        tenant=tenant, name="CRM push", target_url="http://127.0.0.1:9/x",
        event_types=["partner.created"],
    )
    subscription.set_new_secret()
    subscription.save()
    inactive = WebhookSubscription(
        tenant=tenant, name="Régi", target_url="http://127.0.0.1:9/y",
        event_types=["partner.created"], is_active=False,
    )
    inactive.set_new_secret()
    inactive.save()

    PartnerFactory(tenant=tenant)  # subscribed
    PartnerFactory()  # headquarters: another tenant, no subscription there

    (event,) = _events()
    assert event.tenant_id == tenant.pk
    assert list(event.deliveries.values_list("subscriber", flat=True)) == [
        f"webhook:{subscription.pk}"
    ]


def test_rolled_back_change_leaves_no_event(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        PartnerFactory(tenant=tenant)
        assert Event.objects.count() == 1  # written inside the transaction ...
        raise RuntimeError("the counter clerk's save fails")
    assert Event.objects.count() == 0  # ... and gone with it
    assert Delivery.objects.count() == 0


def test_recording_costs_one_query(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    partner = PartnerFactory(tenant=tenant)
    partner.name = "Más"
    with CaptureQueriesContext(connection) as queries:
        partner.save()
    outbox = [q["sql"] for q in queries.captured_queries if "eventbus_" in q["sql"]]
    assert len(outbox) == 1


def test_emit_event_for_a_remote_object(tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")
    event = emit_event(
        "gamma.pinged", tenant_id=tenant.pk, object_type="chatwoot.conversation",
        object_id="318", payload={"contact_id": 1042},
    )
    assert event is not None and event.pk
    stored = Event.objects.get(pk=event.pk)
    assert (stored.type, stored.object_type, stored.object_id) == (
        "gamma.pinged", "chatwoot.conversation", "318",
    )
    assert stored.payload == {"contact_id": 1042}
    assert stored.uuid == event.uuid
    assert emit_event("partner.created", tenant_id=tenant.pk, object_type="x.y",
                      object_id="1") is not None
    services.set_enabled("gamma", None, False)
    assert emit_event("gamma.pinged", tenant_id=tenant.pk) is None
