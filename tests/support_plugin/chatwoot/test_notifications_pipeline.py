"""Customer notifications through the real pipeline into the Chatwoot sandbox."""

from __future__ import annotations

from decimal import Decimal

import requests

from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.services import set_enabled
from apps.support_plugin.chatwoot.accounts import connect_tenant
from apps.support_plugin.chatwoot.models import NotificationSent
from kgc_erp.sales.services import mark_order_arrived, mark_order_ordered
from kgc_erp.service.services import change_worklog_status
from sandboxes.chatwoot import SandboxHandle
from tests.factories import PartnerFactory, TenantFactory, place_order, start_rental
from tests.factories import open_worklog as open_test_worklog
from tests.infrastructure.waiting import wait_for

from .helpers import ACCOUNT_ID, API_TOKEN, contacts_in, messages_in


def _conversations_of(handle: SandboxHandle) -> list[int]:
    with handle.state.lock:
        return sorted(c.display_id for c in handle.state.conversations.values())


def _sent(kind: str) -> NotificationSent | None:
    return NotificationSent.objects.filter(kind=kind).first()


def test_rental_welcome_lands_once_even_when_first_attempt_times_out(
    worker, connected, chatwoot
) -> None:
    partner = PartnerFactory(tenant=connected, name="Tóth Béla")
    wait_for(lambda: any(c.identifier == str(partner.pk)
                         for c in chatwoot.state.contacts.values()), message="contact")
    # given the first message POST is executed but its response never arrives in time
    requests.post(f"{chatwoot.url}/_sandbox/faults", timeout=5, json={
        "mode": "timeout", "delay": 3, "apply": "after", "count": 1,
        "methods": ["POST"], "paths": "/conversations/\\d+/messages$",
    }).raise_for_status()
    # when the rental starts
    rental = start_rental(partner=partner)
    sent = wait_for(lambda: _sent("rental_started"), timeout=30, message="notification recorded")
    # then exactly one welcome message is in the one new conversation
    assert _conversations_of(chatwoot) == [sent.conversation_id]
    messages = [m for m in messages_in(chatwoot, sent.conversation_id)
                if m["source_id"] and "rental_started" in m["source_id"]]
    assert len(messages) == 1
    text = messages[0]["content"]
    assert rental.number in text and rental.machine.name in text and "Tóth Béla" in text
    delivery = wait_for(lambda: Delivery.objects.filter(
        event__type="rental.started", subscriber="support", status="succeeded").first(),
        message="delivery succeeded")
    assert delivery.attempts == 2  # the timeout really happened and was retried


def test_quote_and_order_notifications_name_amounts(worker, connected, chatwoot) -> None:
    partner = PartnerFactory(tenant=connected, name="Varga Ilona")
    worklog = open_test_worklog(partner=partner, machine_type="Husqvarna fűnyíró")
    change_worklog_status(worklog, "diagnosztika")
    change_worklog_status(worklog, "arajanlat", quote_amount=Decimal("24500"))
    quote = wait_for(lambda: _sent("worklog_quote_ready"), timeout=30, message="quote message")
    text = messages_in(chatwoot, quote.conversation_id)[-1]["content"]
    assert worklog.number in text and "Husqvarna fűnyíró" in text and "24\u00a0500\u00a0Ft" in text

    order = place_order(partner=partner)
    mark_order_ordered(order)
    mark_order_arrived(order)
    arrived = wait_for(lambda: _sent("order_arrived"), timeout=30, message="order message")
    # the customer's open conversation is reused
    assert arrived.conversation_id == quote.conversation_id
    assert order.number in messages_in(chatwoot, arrived.conversation_id)[-1]["content"]


def test_plugin_disabled_makes_no_calls(worker, connected, chatwoot) -> None:
    # given support switched off for this tenant, switched on for another one
    set_enabled("support", connected, False)
    other = TenantFactory(slug="kgc-pecs", name="KGC Pécs")
    connect_tenant(other, chatwoot.url, API_TOKEN, ACCOUNT_ID)
    # when both get a partner (and the first a rental)
    silent = PartnerFactory(tenant=connected)
    start_rental(partner=silent)
    heard = PartnerFactory(tenant=other)
    # then only the enabled tenant's partner reaches Chatwoot (its contact proves the worker
    # ran everything that was queued before it)
    wait_for(lambda: any(c["identifier"] == str(heard.pk) for c in contacts_in(chatwoot)),
             message="enabled tenant's contact")
    assert [c["identifier"] for c in contacts_in(chatwoot)] == [str(heard.pk)]
    assert not Delivery.objects.filter(tenant=connected).exists()


def test_contact_deleted_in_chatwoot_is_recreated_for_a_notification(worker, connected,
                                                                     chatwoot) -> None:
    from apps.plugin_manager.eventbus.external_refs import find_ref

    from .helpers import account_api

    partner = PartnerFactory(tenant=connected, name="Törölt Tamás")
    ref = wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="link")
    account_api(chatwoot, "DELETE", f"/contacts/{ref.external_id}")  # an agent deleted it
    start_rental(partner=partner)
    sent = wait_for(lambda: _sent("rental_started"), timeout=30, message="notification")
    contacts = [c for c in contacts_in(chatwoot) if c["identifier"] == str(partner.pk)]
    assert len(contacts) == 1 and str(contacts[0]["id"]) != ref.external_id
    assert any("Törölt Tamás" in m["content"] for m in messages_in(chatwoot, sent.conversation_id))
