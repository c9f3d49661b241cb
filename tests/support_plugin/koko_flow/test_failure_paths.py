"""Kokó's trouble never fails the customer message's inbound delivery: the same delivery
carries the message into the outbox (worklog, GLPI followup, CRM note), so with Kokó on
but nothing set up (no knowledge base, no escalation team), a conversation Chatwoot does
not know (404) or Chatwoot failing for a moment (500), the delivery is processed, the
message event is emitted, and Kokó escalates or records why on its reply."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache

from apps.plugin_manager.eventbus.models import Event, InboundDelivery
from apps.plugin_manager.services import set_enabled, update_settings
from apps.support_plugin.chatwoot import event_types
from apps.support_plugin.koko.models import KnowledgeArticle, KokoConversation, KokoReply
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle
from sandboxes.glpi.server import SandboxHandle as GlpiHandle
from tests.infrastructure.waiting import wait_for
from tests.support_plugin.chatwoot.helpers import account_api, sandbox_json
from tests.support_plugin.glpi import conftest as glpi_fixtures

from .conftest import Flow
from .helpers import (
    AUTO_TEXT,
    SUBSCRIPTIONS,
    all_message_webhooks_done,
    bot_replies,
    conversation_state,
    customer_writes,
    delivered_bodies,
    post_signed,
    private_notes,
    wait_reply,
)

S = KokoReply.Status
glpi_server = glpi_fixtures.glpi_server
glpi = glpi_fixtures.glpi


@pytest.fixture
def bare(connected: Tenant, chatwoot: SandboxHandle, live_server: Any,
         glpi: GlpiHandle) -> Flow:
    """Kokó switched on for the tenant, GLPI connected (it subscribes to the messages), and
    nothing else: no knowledge base loaded, no escalation team configured."""
    glpi_fixtures.connect_glpi(connected, glpi)
    url = f"{live_server.url}/webhooks/chatwoot/{connected.slug}/"
    hook = account_api(chatwoot, "POST", "/webhooks", json={"webhook": {
        "url": url, "subscriptions": SUBSCRIPTIONS}})["payload"]["webhook"]
    update_settings("support", connected, {"chatwoot_webhook_secret": hook["secret"]})
    set_enabled("koko", connected, True)
    cache.clear()
    assert not KnowledgeArticle.objects.exists()
    return Flow(connected, chatwoot, url, hook["secret"], {})


def _message_event(message_id: int) -> bool:
    """The message went into the outbox for its subscribers (here GLPI's mirror)."""
    return any(e.payload.get("message_id") == message_id
               for e in Event.objects.filter(type=event_types.MESSAGE_POSTED))


def _delivery_of(message_id: int) -> InboundDelivery:
    return next(d for d in InboundDelivery.objects.filter(event_type="message_created")
                if json.loads(bytes(d.raw_body))["id"] == message_id)


def _deliveries_processed() -> None:
    wait_for(all_message_webhooks_done, timeout=120, message="message_created handled")
    assert not InboundDelivery.objects.filter(event_type="message_created").exclude(
        status="processed").exists()


def test_no_knowledge_base_and_no_team_escalates_with_reasons(worker, bare: Flow) -> None:
    sent = customer_writes(bare.chatwoot, AUTO_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.handover_done_at is not None)
    _deliveries_processed()
    assert _message_event(message_id)  # what the worklog / GLPI / CRM subscribers get
    assert reply.status == S.ESCALATED and reply.confidence < 0.5
    assert "kb_empty" in reply.reasons and reply.send_error == ""
    state = conversation_state(bare.chatwoot, display_id)
    assert state["status"] == "open" and state["team_id"] is None
    notes = private_notes(bare.chatwoot, display_id)
    assert len(notes) == 1
    assert "nincs csapat beállítva" in notes[0]["content"]
    assert "a tudásbázis üres" in notes[0]["content"]
    assert not bot_replies(bare.chatwoot, display_id)


def test_conversation_unknown_to_chatwoot_is_recorded_not_retried(worker, bare: Flow) -> None:
    """Chatwoot answers 404 for the conversation (deleted meanwhile, or never there): the
    error is on the reply, the delivery is processed once."""
    sent = customer_writes(bare.chatwoot, AUTO_TEXT)
    wait_reply(sent["message"]["id"], lambda r: r.handover_done_at is not None)
    assert bare.chatwoot.flush_webhooks(10)
    body = next(json.loads(b) for b in delivered_bodies(bare.chatwoot, "message_created")
                if json.loads(b)["id"] == sent["message"]["id"])
    body["id"], body["conversation"]["id"] = 990001, 99001
    assert post_signed(bare.url, json.dumps(body).encode(), bare.secret).status_code == 200

    reply = wait_reply(990001, lambda r: r.send_error != "")
    _deliveries_processed()
    assert _message_event(990001)
    assert "404" in reply.send_error and reply.handover_done_at is None
    assert reply.status == S.ESCALATED
    unknown = _delivery_of(990001)
    assert unknown.attempts == 1 and unknown.last_error == ""


def test_chatwoot_failing_once_is_retried_by_koko_not_by_the_inbox(worker, bare: Flow) -> None:
    # The first private note POST gets a 500: Kokó's own task posts it later, once.
    sandbox_json(bare.chatwoot, "POST", "/_sandbox/faults", json={
        "mode": "500", "count": 1, "methods": ["POST"],
        "paths": r"/conversations/\d+/messages$"})
    sent = customer_writes(bare.chatwoot, AUTO_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.handover_done_at is not None, timeout=120)
    _deliveries_processed()
    assert _message_event(message_id)
    assert _delivery_of(message_id).attempts == 1  # the inbox ran the message once
    assert reply.send_error == ""  # cleared once the retry succeeded
    assert len(private_notes(bare.chatwoot, display_id)) == 1
    assert KokoConversation.objects.get(conversation_id=display_id).silenced_at is not None
