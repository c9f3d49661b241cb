"""Each band end to end: a customer writes in the Chatwoot sandbox, the signed webhook goes
through the live inbox and the real worker, Kokó decides with the real knowledge base, and
the sandbox ends up with what Kokó did."""

from __future__ import annotations

import threading

import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from apps.support_plugin.koko.models import KokoConversation, KokoReply

from .conftest import Flow
from .helpers import (
    APPROVAL_TEXT,
    AUTO_TEXT,
    ESCALATE_TEXT,
    bot_replies,
    conversation_state,
    customer_writes,
    private_notes,
    wait_reply,
)

S = KokoReply.Status
SENT = KokoReply.SendState.SENT


def _admin_client(name: str = "admin-koko") -> tuple[Client, User]:
    user = User.objects.create_superuser(name, f"{name}@kgc.test", "Jelszo-123")
    client = Client()
    client.force_login(user)
    return client, user


def test_auto_band_posts_exactly_one_reply(worker, flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.send_state == SENT)
    assert reply.status == S.AUTO and reply.route == "auto"
    assert reply.confidence >= 0.8 and reply.kb_ids
    posted = bot_replies(flow.chatwoot, display_id)
    assert len(posted) == 1
    assert posted[0]["content"] == reply.reply_text
    assert posted[0]["id"] == reply.chatwoot_message_id
    assert posted[0]["source_id"] == f"koko:1:{message_id}"
    assert "Tisztelt Ügyfelünk!" in posted[0]["content"] and "Forrás:" in posted[0]["content"]
    assert not private_notes(flow.chatwoot, display_id)


def test_approval_band_note_then_admin_approval_sends_exactly_once(worker, flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, APPROVAL_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.note_message_id is not None)
    assert reply.status == S.AWAITING_APPROVAL and 0.5 <= reply.confidence < 0.8
    notes = private_notes(flow.chatwoot, display_id)
    assert len(notes) == 1
    assert "Kokó javaslat" in notes[0]["content"]
    assert f"{round(reply.confidence * 100)}% magabiztosság" in notes[0]["content"]
    assert reply.draft_text in notes[0]["content"]
    assert not bot_replies(flow.chatwoot, display_id)  # nothing to the customer yet

    client, user = _admin_client()
    queue = client.get(reverse("admin:support_koko_kokoreply_queue"))
    assert queue.status_code == 200
    page = queue.content.decode()
    assert "Kokó jóváhagyási sor" in page and "Jóváhagyás és küldés" in page
    assert APPROVAL_TEXT in page

    url = reverse("admin:support_koko_kokoreply_approve", args=[reply.pk])
    # a double click, then a second colleague on the same suggestion
    first = client.post(url, {"approve": "1", "text": reply.draft_text})
    second = client.post(url, {"approve": "1", "text": reply.draft_text})
    other = Client()
    other.force_login(User.objects.create_superuser("masik", "masik@kgc.test", "Jelszo-123"))
    third = other.post(url, {"edit": "1", "text": "Egy másik szöveg."})
    assert [r.status_code for r in (first, second, third)] == [302, 302, 302]
    reply.refresh_from_db()
    assert reply.status == S.APPROVED and reply.send_state == SENT
    assert reply.decided_by == user
    posted = bot_replies(flow.chatwoot, display_id)
    assert [m["content"] for m in posted] == [reply.draft_text]
    followed = client.get(reverse("admin:support_koko_kokoreply_queue"))
    assert "Nincs jóváhagyásra váró válaszjavaslat." in followed.content.decode()


def test_edit_and_send_and_reject(worker, flow: Flow) -> None:
    first = customer_writes(flow.chatwoot, APPROVAL_TEXT, email="egy@example.hu")
    second = customer_writes(flow.chatwoot, APPROVAL_TEXT, email="ketto@example.hu")
    edited = wait_reply(first["message"]["id"], lambda r: r.note_message_id is not None)
    rejected = wait_reply(second["message"]["id"], lambda r: r.note_message_id is not None)
    client, _ = _admin_client()
    text = ("Tisztelt Ügyfelünk! Hétvégére szívesen félreteszünk Önnek egy aggregátort, a "
            "díjat telefonon egyeztetjük. Üdvözlettel: KGC")
    client.post(reverse("admin:support_koko_kokoreply_approve", args=[edited.pk]),
                {"edit": "1", "text": text})
    client.post(reverse("admin:support_koko_kokoreply_reject", args=[rejected.pk]))
    edited.refresh_from_db()
    rejected.refresh_from_db()
    assert (edited.status, edited.send_state, edited.reply_text) == (S.EDITED, SENT, text)
    assert rejected.status == S.REJECTED and rejected.send_state == ""
    assert [m["content"] for m in bot_replies(flow.chatwoot, first["conversation"]["id"])] == [
        text]
    assert bot_replies(flow.chatwoot, second["conversation"]["id"]) == []
    # an empty edited text is refused with a Hungarian message, nothing is decided
    third = customer_writes(flow.chatwoot, APPROVAL_TEXT, email="harom@example.hu")
    waiting = wait_reply(third["message"]["id"], lambda r: r.note_message_id is not None)
    response = client.post(reverse("admin:support_koko_kokoreply_approve", args=[waiting.pk]),
                           {"edit": "1", "text": "   "}, follow=True)
    assert "Üres választ nem küldhetünk el." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == S.AWAITING_APPROVAL


def test_escalation_assigns_the_intents_team_keeps_it_open_and_notes(worker,
                                                                     flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, ESCALATE_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.handover_done_at is not None)
    assert reply.status == S.ESCALATED and reply.route == "escalate"
    assert reply.category  # a never-auto category
    state = conversation_state(flow.chatwoot, display_id)
    assert state["team_id"] == flow.teams[reply.intent]
    assert state["status"] == "open"
    notes = private_notes(flow.chatwoot, display_id)
    assert len(notes) == 1 and "Kokó átadta a beszélgetést" in notes[0]["content"]
    assert "Ok:" in notes[0]["content"]
    assert not bot_replies(flow.chatwoot, display_id)
    conversation = KokoConversation.objects.get(conversation_id=display_id)
    assert conversation.silenced_reason == KokoConversation.Silence.ESCALATED
    # the customer writes again: Kokó stays quiet in a handed-over conversation
    again = customer_writes(flow.chatwoot, AUTO_TEXT)
    assert again["conversation"]["id"] == display_id
    later = wait_reply(again["message"]["id"])
    assert later.status == S.SILENCED
    assert not bot_replies(flow.chatwoot, display_id)


def test_admin_pages_render_in_hungarian(worker, flow: Flow) -> None:
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    wait_reply(sent["message"]["id"], lambda r: r.send_state == SENT)
    client, _ = _admin_client()
    stats = client.get(reverse("admin:support_koko_kokoreply_stats"))
    assert stats.status_code == 200
    page = stats.content.decode()
    assert "Automatikus válasz" in page and "Átadva kollégának" in page and "bérlés" in page
    assert "100% (1)" in page
    listing = client.get(reverse("admin:support_koko_kokoreply_changelist"))
    assert listing.status_code == 200 and "Kokó válaszok" in listing.content.decode()
    detail = client.get(reverse("admin:support_koko_kokoreply_change",
                                args=[KokoReply.objects.get().pk]))
    assert detail.status_code == 200


def test_simultaneous_approvals_over_http_send_exactly_once(worker, flow: Flow,
                                                            live_server) -> None:
    sent = customer_writes(flow.chatwoot, APPROVAL_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    reply = wait_reply(message_id, lambda r: r.note_message_id is not None)
    url = live_server.url + reverse("admin:support_koko_kokoreply_approve", args=[reply.pk])
    sessions = []
    for name in ("egyik", "masik", "harmadik", "negyedik"):
        client, _ = _admin_client(name)
        session = requests.Session()
        session.cookies.set(settings.SESSION_COOKIE_NAME,
                            client.cookies[settings.SESSION_COOKIE_NAME].value)
        session.cookies.set(settings.CSRF_COOKIE_NAME, "k" * 32)
        sessions.append(session)
    barrier = threading.Barrier(len(sessions))
    statuses: list[int] = []

    def click(session: requests.Session) -> None:
        barrier.wait()
        response = session.post(url, data={"approve": "1", "text": reply.draft_text,
                                           "csrfmiddlewaretoken": "k" * 32},
                                headers={"Referer": live_server.url + "/admin/"},
                                allow_redirects=False, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 4
    reply.refresh_from_db()
    assert reply.status == S.APPROVED and reply.send_state == SENT
    assert [m["content"] for m in bot_replies(flow.chatwoot, display_id)] == [reply.draft_text]
