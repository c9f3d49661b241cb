"""GLPI -> Chatwoot: the beat task (run by the real worker) brings a technician's public
followup and a status change made in GLPI back to the conversation, once, and never
echoes our own followups in either direction."""

from __future__ import annotations

from typing import Any

from apps.support_plugin.glpi.models import GlpiPollCursor, GlpiTicketLink
from apps.support_plugin.glpi.tasks import poll_tickets
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle as ChatwootHandle
from sandboxes.glpi.server import SandboxHandle
from tests.infrastructure.waiting import wait_for
from tests.support_plugin.chatwoot.helpers import messages_in, sandbox_json

from .helpers import (
    TECHNICIAN_ID,
    conversation_created,
    followups,
    glpi_deliveries_settled,
    message_created,
    status_changed,
)
from .test_mirror_pipeline import _send

FIRST = "Jó napot! A láncfűrészem lánca leesik, megjavítják?"


def _ours(chatwoot: ChatwootHandle, display_id: int) -> list[dict[str, Any]]:
    return [m for m in messages_in(chatwoot, display_id)
            if (m["source_id"] or "").startswith("kgc:glpi:")]


def glpi_ticket_status(glpi: SandboxHandle, ticket_id: int) -> int:
    return next(t["status"] for t in glpi.state()["records"]["Ticket"] if t["id"] == ticket_id)


def _poll(tenant: Tenant) -> None:
    before = GlpiPollCursor.objects.filter(tenant=tenant).values_list(
        "last_polled_at", flat=True).first()
    poll_tickets.delay(tenant_id=tenant.pk, force=True)
    wait_for(lambda: GlpiPollCursor.objects.filter(tenant=tenant).exclude(
        last_polled_at=before).exclude(last_polled_at=None).exists(), message="a poll")


def test_technician_followup_and_status_change_come_back_once(
        worker, mirrored: Tenant, chatwoot: ChatwootHandle, glpi: SandboxHandle,
        live_server) -> None:
    # the customer's conversation exists in Chatwoot (no webhook wired: we send them)
    created = sandbox_json(chatwoot, "POST", "/_sandbox/simulate/conversation_created", json={
        "contact": {"name": "Kiss Ákos", "email": "kiss.akos@example.hu",
                    "phone_number": "+36209876543"}, "content": FIRST})
    display_id = created["conversation"]["id"]
    contact = {"id": created["contact"]["id"], "name": "Kiss Ákos",
               "email": "kiss.akos@example.hu", "phone_number": "+36209876543",
               "identifier": None}
    first_id = created["message"]["id"]
    _send(live_server.url, mirrored, [
        conversation_created(display_id, contact, message_id=first_id, content=FIRST),
        message_created(display_id, contact, message_id=first_id + 1000, kind="outgoing",
                        content="Hozza be nyugodtan, megnézzük."),
    ])
    link = wait_for(lambda: GlpiTicketLink.objects.filter(ticket_id__isnull=False).first(),
                    message="ticket")
    wait_for(lambda: len(followups(glpi, link.ticket_id)) == 1, message="our followup")
    wait_for(glpi_deliveries_settled, message="settled")

    # a technician answers in GLPI, writes a private note, and solves the ticket
    glpi.add_followup(link.ticket_id, "<p>Az új lánc megérkezett, holnapra kész.</p>",
                      users_id=TECHNICIAN_ID)
    glpi.add_followup(link.ticket_id, "<p>Belső: garanciális?</p>", is_private=True,
                      users_id=TECHNICIAN_ID)
    glpi.set_ticket_status(link.ticket_id, 5, users_id=TECHNICIAN_ID)
    _poll(mirrored)

    mirrored_back = wait_for(lambda: len(_ours(chatwoot, display_id)) == 2 and
                             _ours(chatwoot, display_id), message="two posts")
    public = [m for m in mirrored_back if not m["private"]]
    notes = [m for m in mirrored_back if m["private"]]
    assert len(public) == 1 and "Az új lánc megérkezett, holnapra kész." in public[0]["content"]
    assert "<p>" not in public[0]["content"]
    assert len(notes) == 1 and "Megoldva" in notes[0]["content"]
    # our own followup (the agent's reply) never comes back; nor the private note
    everything = " ".join(m["content"] or "" for m in messages_in(chatwoot, display_id))
    assert "Hozza be nyugodtan" not in everything and "garanciális" not in everything

    # a second poll finds nothing new
    _poll(mirrored)
    assert len(_ours(chatwoot, display_id)) == 2

    # the agent resolves, then reopens the conversation in Chatwoot: the ticket goes back
    # to processing by our hand, which the next poll does not report as a GLPI change
    _send(live_server.url, mirrored, [status_changed(display_id, contact, "resolved"),
                                      status_changed(display_id, contact, "open")])
    wait_for(lambda: glpi_ticket_status(glpi, link.ticket_id) == 2, message="reopened")
    wait_for(glpi_deliveries_settled, message="settled")
    _poll(mirrored)
    assert len(_ours(chatwoot, display_id)) == 2

    # Chatwoot's webhook of our own post comes back: it never becomes a followup
    echo = public[0]
    _send(live_server.url, mirrored, [message_created(
        display_id, contact, message_id=echo["id"], kind="outgoing", content=echo["content"],
        source_id=echo["source_id"])])
    wait_for(glpi_deliveries_settled, message="echo handled")
    contents = [f["content"] for f in followups(glpi, link.ticket_id)]
    assert len(contents) == 3  # ours + the technician's two; no echo
    assert not any("Az új lánc" in c and "kgc-cw" in c for c in contents)
