"""Once per message, silence after a colleague, the plugin switch, bad input, ERP status
answers and feedback: through the sandbox, the live inbox and the real worker."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.cache import cache
from django.db import transaction

from apps.plugin_manager.eventbus.external_refs import find_ref
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.plugin_manager.privacy.handlers import PrivacySubject
from apps.plugin_manager.services import set_enabled
from apps.support_plugin.koko.models import KokoConversation, KokoReply
from apps.support_plugin.koko.privacy import KokoPrivacyHandler
from devstack.shared_folder import contracts
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import open_worklog
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for
from tests.support_plugin.chatwoot.helpers import account_api, sandbox_json

from .conftest import Flow
from .helpers import (
    AUTO_TEXT,
    ESCALATE_TEXT,
    all_message_webhooks_done,
    bot_replies,
    customer_writes,
    delivered_bodies,
    post_signed,
    private_notes,
    processed,
    reply_for,
    wait_reply,
)

S = KokoReply.Status
SENT = KokoReply.SendState.SENT


def _webhook_of(flow: Flow, message_id: int) -> bytes:
    for body in delivered_bodies(flow.chatwoot, "message_created"):
        if json.loads(body)["id"] == message_id:
            return body
    raise AssertionError(f"no message_created webhook for {message_id}")


def _deliver_again_at_once(flow: Flow, body: bytes, copies: int) -> None:
    """Chatwoot delivering the same event again, ``copies`` times at the same moment (new
    delivery ids: the inbox stores each one)."""
    threads = [threading.Thread(target=post_signed, args=(flow.url, body, flow.secret))
               for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_duplicate_webhook_gives_one_reply(worker, flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    assert flow.chatwoot.flush_webhooks(10)
    body = _webhook_of(flow, message_id)
    # Chatwoot delivers the same event three more times, two of them at the same moment
    _deliver_again_at_once(flow, body, 2)
    assert post_signed(flow.url, body, flow.secret).status_code == 200
    wait_for(lambda: InboundDelivery.objects.filter(event_type="message_created").count() >= 4,
             message="four deliveries stored")
    wait_for(all_message_webhooks_done, timeout=90, message="all deliveries handled")
    assert KokoReply.objects.filter(message_id=message_id).count() == 1
    assert reply_for(message_id).send_state == SENT
    assert len(bot_replies(flow.chatwoot, display_id)) == 1
    assert not InboundDelivery.objects.filter(event_type="message_created",
                                              status="failed").exists()


def test_concurrent_duplicates_of_an_escalation_post_one_note(worker, flow: Flow) -> None:
    """Two workers carrying out the same message at once (one webhook stored under two
    delivery ids) while Chatwoot answers slowly: one private note, not two (the soak run
    saw two before the note was posted under the reply's row lock)."""
    sandbox_json(flow.chatwoot, "POST", "/_sandbox/faults", json={
        "mode": "slow", "delay": 1.5, "methods": ["POST"],
        "paths": r"/conversations/\d+/messages$"})
    sent = customer_writes(flow.chatwoot, ESCALATE_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    assert flow.chatwoot.flush_webhooks(10)
    body = _webhook_of(flow, message_id)
    _deliver_again_at_once(flow, body, 3)
    wait_for(lambda: InboundDelivery.objects.filter(event_type="message_created").count() >= 4,
             message="four deliveries stored")
    wait_for(all_message_webhooks_done, timeout=120, message="all deliveries handled")
    reply = reply_for(message_id)
    assert reply is not None and reply.status == S.ESCALATED and reply.note_message_id
    assert len(private_notes(flow.chatwoot, display_id)) == 1
    assert bot_replies(flow.chatwoot, display_id) == []


def test_human_reply_silences_koko(worker, flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    display_id = sent["conversation"]["id"]
    wait_reply(sent["message"]["id"], lambda r: r.send_state == SENT)
    # Kokó's own reply came back as a webhook (sender: the API user): not a colleague
    assert KokoConversation.objects.get(conversation_id=display_id).silenced_at is None
    # a colleague answers in Chatwoot
    account_api(flow.chatwoot, "POST", f"/conversations/{display_id}/messages",
                json={"content": "Jó napot, Kiss Anna vagyok, én segítek tovább.",
                      "message_type": "outgoing"})
    wait_for(lambda: KokoConversation.objects.get(conversation_id=display_id).silenced_at,
             message="Kokó silenced")
    conversation = KokoConversation.objects.get(conversation_id=display_id)
    assert conversation.silenced_reason == KokoConversation.Silence.HUMAN_REPLY
    again = customer_writes(flow.chatwoot, "És mennyi a hétvégi díj?")
    assert again["conversation"]["id"] == display_id
    later = wait_reply(again["message"]["id"])
    assert later.status == S.SILENCED and later.send_state == ""
    assert len(bot_replies(flow.chatwoot, display_id)) == 1  # only the first answer


@pytest.mark.parametrize("scope", ["tenant", "global"])
def test_plugin_switched_off_gives_no_reply(worker, flow: Flow, scope: str) -> None:
    if scope == "tenant":
        set_enabled("koko", flow.tenant, False)
    else:
        set_enabled("koko", flow.tenant, None)  # the tenant follows the global switch
        set_enabled("koko", None, False)
    cache.clear()
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    wait_for(lambda: processed("message_created") >= 1, message="message processed")
    assert flow.chatwoot.flush_webhooks(10)
    wait_for(all_message_webhooks_done, message="deliveries handled")
    assert not KokoReply.objects.exists()
    assert bot_replies(flow.chatwoot, sent["conversation"]["id"]) == []
    assert private_notes(flow.chatwoot, sent["conversation"]["id"]) == []


BAD_INPUTS = {
    "empty": {"content": "   "},
    "emoji_only": {"content": "🙂👍🙏"},
    "attachment_only": {"content": None,
                        "attachments": [{"file_type": "image", "extension": "jpg"}]},
    "twenty_thousand": {"content": ("Jó napot! Mennyi a kaució? " * 800)[:20_000]},
    "mixed_language": {"content": "Hello, mennyi a kaució for the machine? Thanks!"},
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_a_clear_route_never_auto(worker, flow: Flow, case: str) -> None:
    given = BAD_INPUTS[case]
    sent = customer_writes(flow.chatwoot, given["content"],
                           attachments=given.get("attachments"))
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.note_message_id is not None)
    assert reply.status in (S.AWAITING_APPROVAL, S.ESCALATED)
    assert reply.route in ("approval", "escalate") and reply.reasons
    assert reply.customer_text == (given["content"] or "")  # kept in full: nothing lost
    assert reply.has_attachments == bool(given.get("attachments"))
    assert bot_replies(flow.chatwoot, display_id) == []
    assert len(private_notes(flow.chatwoot, display_id)) == 1
    assert not InboundDelivery.objects.filter(status="failed").exists()


def test_status_of_a_partners_worklog_is_answered_from_the_erp(worker, flow: Flow) -> None:
    partner = PartnerFactory(tenant=flow.tenant, name="Szabó Anna", phone="+36305556677",
                             email="szabo.anna@example.hu")
    other = PartnerFactory(tenant=flow.tenant, name="Más Ügyfél", phone="+36305550000")
    with transaction.atomic():
        own = open_worklog(Worklog(partner=partner, machine_type="Stihl MS 250 láncfűrész",
                                   issue_description="Nem indul"))
        foreign = open_worklog(Worklog(partner=other, machine_type="Makita fúró",
                                       issue_description="Zajos"))
    Worklog.objects.filter(pk=own.pk).update(status=Worklog.Status.REPAIR)
    wait_for(lambda: find_ref("chatwoot", tenant=flow.tenant, obj=partner),
             message="partner's contact in Chatwoot")
    contact_id = int(find_ref("chatwoot", tenant=flow.tenant, obj=partner).external_id)
    asked = customer_writes(flow.chatwoot, f"Jó napot! Hol tart a {own.number.lower()} "
                                           "munkalapom?", contact_id=contact_id)
    reply = wait_reply(asked["message"]["id"], lambda r: r.send_state == SENT)
    assert reply.source == KokoReply.Source.ERP and reply.status == S.AUTO
    assert reply.intent == "szerviz" and reply.kb_ids == []
    posted = bot_replies(flow.chatwoot, asked["conversation"]["id"])
    assert len(posted) == 1
    assert own.number in posted[0]["content"]
    assert "Javítás folyamatban" in posted[0]["content"]
    # someone else's worklog number: nothing about it is told, a colleague looks at it
    nosy = customer_writes(flow.chatwoot, f"És a {foreign.number} hol tart?",
                           contact_id=contact_id)
    refused = wait_reply(nosy["message"]["id"], lambda r: r.handover_done_at is not None)
    assert refused.status == S.ESCALATED and "erp:not_found" in refused.reasons
    contents = " ".join(m["content"] for m in bot_replies(flow.chatwoot,
                                                           nosy["conversation"]["id"]))
    assert "Makita" not in contents and foreign.number not in contents


def test_feedback_from_custom_attribute_and_csat(worker, flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    display_id = sent["conversation"]["id"]
    reply = wait_reply(sent["message"]["id"], lambda r: r.send_state == SENT)
    # an agent (or the widget) sets the conversation attribute: conversation_updated
    account_api(flow.chatwoot, "POST", f"/conversations/{display_id}/custom_attributes",
                json={"custom_attributes": {"koko_feedback": "👎"}})
    wait_for(lambda: reply_for(reply.message_id).feedback == KokoReply.Feedback.DOWN,
             message="thumbs down stored")
    assert reply_for(reply.message_id).feedback_source == "custom_attribute"
    # a CSAT answer (message_updated, the contract's payload with the rating filled in)
    example = json.loads((contracts("chatwoot") / "webhooks/message_updated.json").read_text())
    example.update({"account": {"id": 1, "name": "KGC"}, "content_type": "input_csat",
                    "content_attributes": {"submitted_values": {"csat_survey_response": {
                        "rating": 5, "feedback_message": "Gyors volt, köszönöm!"}}}})
    example["conversation"]["id"] = display_id
    body = json.dumps(example).encode()
    assert post_signed(flow.url, body, flow.secret).status_code == 200
    wait_for(lambda: reply_for(reply.message_id).csat_rating == 5, message="CSAT stored")
    stored = reply_for(reply.message_id)
    assert stored.feedback == KokoReply.Feedback.UP and stored.feedback_source == "csat"
    # the same webhook again changes nothing
    assert post_signed(flow.url, body, flow.secret).status_code == 200
    wait_for(lambda: processed("message_updated") == 2, message="redelivery processed")
    assert reply_for(reply.message_id).feedback_at == stored.feedback_at


def test_privacy_export_and_erase(worker, flow: Flow) -> None:
    partner = PartnerFactory(tenant=flow.tenant, name="Kovács Éva", phone="+36301231234",
                             email="kovacs.eva@example.hu")
    wait_for(lambda: find_ref("chatwoot", tenant=flow.tenant, obj=partner), message="contact")
    contact_id = int(find_ref("chatwoot", tenant=flow.tenant, obj=partner).external_id)
    sent = customer_writes(flow.chatwoot, AUTO_TEXT, contact_id=contact_id)
    wait_reply(sent["message"]["id"], lambda r: r.send_state == SENT)
    stranger = customer_writes(flow.chatwoot, AUTO_TEXT, email="idegen@example.hu")
    wait_reply(stranger["message"]["id"], lambda r: r.send_state == SENT)
    subject = PrivacySubject(tenant=flow.tenant, partner_id=partner.pk)
    handler = KokoPrivacyHandler()
    exported = handler.export(subject)
    assert [m["customer_text"] for c in exported["conversations"] for m in c["messages"]] == [
        AUTO_TEXT]
    json.dumps(exported)  # goes into the export ZIP as JSON
    receipt = handler.erase(subject)
    assert receipt.action == "deleted"
    assert "Kovács" not in receipt.evidence and AUTO_TEXT not in receipt.evidence
    assert not KokoReply.objects.filter(conversation__partner=partner).exists()
    assert KokoReply.objects.count() == 1  # the stranger's reply stays
    assert handler.erase(subject).action == "nothing_held"  # idempotent


def test_manifest_declares_the_privacy_handler() -> None:
    from django.apps import apps

    config = apps.get_app_config("support_koko")
    assert config.privacy_handlers == {
        "koko": "apps.support_plugin.koko.privacy.KokoPrivacyHandler"}
