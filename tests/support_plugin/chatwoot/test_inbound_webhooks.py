"""Inbound Chatwoot webhooks: the sandbox really sends them (signed) to the live Django
server; the event bus inbox stores them and the worker runs our handlers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests
from django.core.cache import cache

from apps.plugin_manager.eventbus.external_refs import find_ref
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.plugin_manager.services import update_settings
from apps.support_plugin.chatwoot import bot_hook
from apps.support_plugin.chatwoot.accounts import connect_tenant
from apps.support_plugin.chatwoot.models import ConversationLink
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle
from tests.factories import PartnerFactory, TenantFactory
from tests.infrastructure.waiting import wait_for

from .helpers import API_TOKEN, account_api, sandbox_json


@pytest.fixture
def wired(connected: Tenant, chatwoot: SandboxHandle, live_server: Any) -> dict[str, Any]:
    """The sandbox account's webhook points at this tenant's inbox URL; its secret (made by
    Chatwoot) is the tenant's webhook secret."""
    url = f"{live_server.url}/webhooks/chatwoot/{connected.slug}/"
    hook = account_api(chatwoot, "POST", "/webhooks", json={"webhook": {
        "url": url, "subscriptions": ["conversation_created", "conversation_status_changed",
                                      "contact_created", "contact_updated", "message_created"],
    }})["payload"]["webhook"]
    update_settings("support", connected, {"chatwoot_webhook_secret": hook["secret"]})
    cache.clear()
    return {"url": url, "secret": hook["secret"]}


def _post(url: str, body: bytes, secret: str, delivery_id: str | None = None) -> requests.Response:
    timestamp = str(int(time.time()))
    return requests.post(url, data=body, timeout=10, headers={
        "Content-Type": "application/json",
        "X-Chatwoot-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Chatwoot-Timestamp": timestamp,
        "X-Chatwoot-Signature": CHATWOOT_SIGNATURE.sign(secret, timestamp, body),
    })


def _delivered_body(handle: SandboxHandle, event: str) -> bytes:
    deliveries = sandbox_json(handle, "GET", f"/_sandbox/webhook_deliveries?event={event}")
    return deliveries["deliveries"][-1]["body"].encode()


def _processed(event: str) -> int:
    return InboundDelivery.objects.filter(event_type=event, status="processed").count()


def test_conversation_created_opens_exactly_one_worklog(worker, wired, connected,
                                                         chatwoot) -> None:
    partner = PartnerFactory(tenant=connected, name="Szabó Anna", phone="+36305556677")
    wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="contact link")
    contact_id = int(find_ref("chatwoot", tenant=connected, obj=partner).external_id)
    # when the customer writes in (the sandbox sends a signed conversation_created)
    sandbox_json(chatwoot, "POST", "/_sandbox/simulate/conversation_created",
                 json={"contact_id": contact_id, "content": "A láncfűrészem nem indul."})
    worklog = wait_for(lambda: Worklog.objects.filter(partner=partner).first(), message="worklog")
    assert worklog.source == Worklog.Source.CHATWOOT
    assert worklog.issue_description == "A láncfűrészem nem indul."
    link = ConversationLink.objects.get(worklog=worklog)
    # and when the same event arrives again (a new delivery id: Chatwoot re-sent it)
    body = _delivered_body(chatwoot, "conversation_created")
    assert _post(wired["url"], body, wired["secret"]).status_code == 200
    wait_for(lambda: _processed("conversation_created") == 2, message="redelivery processed")
    # then there is still exactly one worklog for the conversation
    assert Worklog.objects.filter(partner=partner).count() == 1
    assert ConversationLink.objects.filter(conversation_id=link.conversation_id).count() == 1

    # a status change in Chatwoot is recorded on the worklog's timeline
    account_api(chatwoot, "POST", f"/conversations/{link.conversation_id}/toggle_status",
        json={"status": "resolved"})
    wait_for(lambda: worklog.timeline.filter(source="chatwoot", text__contains="resolved")
             .exists(), message="timeline entry")


def test_unknown_contact_opens_no_worklog(worker, wired, connected, chatwoot) -> None:
    sandbox_json(chatwoot, "POST", "/_sandbox/simulate/conversation_created",
                 json={"contact": {"name": "Ismeretlen", "phone_number": "+36701112233"},
                       "content": "Hello"})
    wait_for(lambda: _processed("conversation_created") == 1, message="processed")
    assert not Worklog.objects.exists()


def test_contact_created_in_chatwoot_links_partner_without_overwriting(worker, wired,
                                                                       connected,
                                                                       chatwoot) -> None:
    partner = PartnerFactory.build(tenant=connected, name="Fekete Péter", phone="+36204445566")
    # the partner exists before the plugin hears of it (created with support switched off)
    update_settings("support", connected, {})
    from apps.plugin_manager.services import set_enabled

    set_enabled("support", connected, False)
    partner.save()
    set_enabled("support", connected, True)
    cache.clear()
    created = account_api(chatwoot, "POST", "/contacts",
                  json={"name": "Peti (WhatsApp)", "phone_number": "+36204445566"})
    contact_id = created["payload"]["contact"]["id"]
    ref = wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="link")
    assert ref.external_id == str(contact_id)
    partner.refresh_from_db()
    assert partner.name == "Fekete Péter"  # the ERP stays master


def test_message_created_reaches_the_bot_hook_interface(worker, wired, connected,
                                                        chatwoot) -> None:
    # the hook runs inside the worker process, so the test observes its log line instead of
    # registering a hook in this process
    sandbox_json(chatwoot, "POST", "/_sandbox/simulate/incoming_message",
                 json={"contact": {"name": "Vevő", "email": "vevo@example.hu"},
                       "content": "Van nyitva vasárnap?"})
    wait_for(lambda: _processed("message_created") >= 1, message="message processed")
    wait_for(lambda: "chatwoot.bot.message" in worker.log_tail(200), message="bot hook called")


def test_forged_signature_is_refused(wired, chatwoot) -> None:
    body = json.dumps({"event": "conversation_created", "account": {"id": 1}, "id": 1}).encode()
    response = _post(wired["url"], body, "not-the-secret")
    assert response.status_code == 401
    assert not InboundDelivery.objects.exclude(status="refused").exists()


def test_webhook_for_another_tenants_account_is_refused(wired, chatwoot,
                                                        live_server: Any) -> None:
    # tenant B has its own Chatwoot account (2) and secret
    other = TenantFactory(slug="kgc-gyor", name="KGC Győr")
    connect_tenant(other, chatwoot.url, API_TOKEN, 2, webhook_secret="secret-of-b")
    cache.clear()
    body = json.dumps({"event": "contact_created", "account": {"id": 1, "name": "A"},
                       "id": 5, "name": "X", "phone_number": "+36301112222"}).encode()
    response = _post(f"{live_server.url}/webhooks/chatwoot/{other.slug}/", body, "secret-of-b")
    assert response.status_code == 403
    assert not InboundDelivery.objects.filter(tenant=other).exclude(status="refused").exists()


def test_bot_hook_registry_contract() -> None:
    seen: list[bot_hook.IncomingMessage] = []

    class Recorder:
        def on_message(self, message: bot_hook.IncomingMessage) -> None:
            seen.append(message)

    recorder = Recorder()
    # The hooks apps register at start-up (Kokó's) are set aside for this test.
    installed = [h for h in bot_hook.registered_hooks()
                 if not isinstance(h, bot_hook.LoggingBotHook)]
    for hook in installed:
        bot_hook.unregister_bot_hook(hook)
    try:
        assert isinstance(bot_hook.registered_hooks()[0], bot_hook.LoggingBotHook)
        bot_hook.register_bot_hook(recorder)
        message = bot_hook.IncomingMessage(1, 1, 7, 99, "Szia", "open", 3, None, 1)
        bot_hook.dispatch(message)
        bot_hook.unregister_bot_hook(recorder)
        assert isinstance(bot_hook.registered_hooks()[0], bot_hook.LoggingBotHook)
    finally:
        for hook in installed:
            bot_hook.register_bot_hook(hook)
    assert seen == [message]
    with pytest.raises(TypeError):
        bot_hook.register_bot_hook(object())  # type: ignore[arg-type]


def test_worklog_status_changes_post_public_message_and_private_note(worker, wired, connected,
                                                                     chatwoot) -> None:
    from decimal import Decimal

    from kgc_erp.service.services import change_worklog_status

    from .helpers import messages_in

    partner = PartnerFactory(tenant=connected, name="Molnár Gábor")
    wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="contact link")
    contact_id = int(find_ref("chatwoot", tenant=connected, obj=partner).external_id)
    sandbox_json(chatwoot, "POST", "/_sandbox/simulate/conversation_created",
                 json={"contact_id": contact_id, "content": "Füstöl a fúrógép."})
    worklog = wait_for(lambda: Worklog.objects.filter(partner=partner).first(), message="worklog")
    display_id = ConversationLink.objects.get(worklog=worklog).conversation_id

    change_worklog_status(worklog, "diagnosztika")
    change_worklog_status(worklog, "arajanlat", quote_amount=Decimal("18000"))

    def ours() -> list[dict[str, Any]]:
        return [m for m in messages_in(chatwoot, display_id)
                if (m["source_id"] or "").startswith("kgc:")]

    wait_for(lambda: len(ours()) == 4, timeout=30, message="two public messages and two notes")
    public = [m for m in ours() if not m["private"]]
    notes = [m for m in ours() if m["private"]]
    assert "Diagnosztika" in public[0]["content"] and worklog.number in public[0]["content"]
    # the quote step's public text is the quote notification, with the amount, sent once
    assert "18\u00a0000\u00a0Ft" in public[1]["content"]
    assert "Felvéve → Diagnosztika" in notes[0]["content"]
    assert "Diagnosztika → Árajánlat" in notes[1]["content"]
    time.sleep(1)  # the quote_ready delivery ran too; it must not have added a message
    assert len(ours()) == 4


def test_conversation_we_open_for_a_notification_is_no_worklog(worker, wired, connected,
                                                               chatwoot) -> None:
    from tests.factories import start_rental

    partner = PartnerFactory(tenant=connected, name="Értesített Erika")
    wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="contact link")
    start_rental(partner=partner)
    # Chatwoot announces the conversation we opened for the welcome message ...
    wait_for(lambda: _processed("conversation_created") == 1, timeout=30,
             message="conversation_created processed")
    # ... and the ERP does not mistake it for a customer's service request
    assert not Worklog.objects.exists()
    assert not ConversationLink.objects.exists()


def test_conversation_an_agent_starts_is_no_worklog(worker, wired, connected, chatwoot) -> None:
    partner = PartnerFactory(tenant=connected, name="Kimenő Klára")
    wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="contact link")
    contact_id = int(find_ref("chatwoot", tenant=connected, obj=partner).external_id)
    inbox_id = account_api(chatwoot, "GET", "/inboxes")["payload"][0]["id"]
    account_api(chatwoot, "POST", "/conversations", json={
        "inbox_id": inbox_id, "contact_id": contact_id,
        "message": {"content": "Jó napot, a gépe elkészült."}})
    wait_for(lambda: _processed("conversation_created") == 1, message="processed")
    assert not Worklog.objects.exists()
