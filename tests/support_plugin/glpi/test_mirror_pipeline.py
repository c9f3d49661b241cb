"""The GLPI mirror end to end: signed Chatwoot webhooks (contract payloads) into the live
server, the event bus inbox and outbox, the session's real worker, the GLPI sandbox."""

from __future__ import annotations

from typing import Any

from apps.plugin_manager.eventbus.models import Delivery, DeliveryAttempt, InboundDelivery
from apps.plugin_manager.health import run_health_check
from apps.plugin_manager.services import set_enabled
from apps.support_plugin.glpi.models import GlpiTicketLink
from kgc_erp.partners.models import Partner
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import Tenant
from sandboxes.glpi.server import SandboxHandle
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for

from .helpers import (
    conversation_created,
    followups,
    glpi_deliveries_settled,
    message_created,
    post_webhook,
    status_changed,
    tickets,
)

CONTACT: dict[str, Any] = {"id": 1042, "name": "Nagy Eszter", "email": "nagy.eszter@example.hu",
                           "phone_number": "+36301234567", "identifier": None}
CONVERSATION = 318


def _partner(tenant: Tenant) -> Partner:
    return PartnerFactory(tenant=tenant, name="Nagy Eszter", phone="+36301234567",
                          email="nagy.eszter@example.hu")


def _processed(count: int) -> bool:
    return InboundDelivery.objects.filter(status="processed").count() >= count


def _send(url: str, tenant: Tenant, payloads: list[dict[str, Any]]) -> None:
    """One after the other, as Chatwoot sends them (each processed before the next)."""
    for payload in payloads:
        already = InboundDelivery.objects.filter(status="processed").count()
        post_webhook(url, tenant.slug, payload)
        wait_for(lambda n=already: _processed(n + 1), message=f"{payload['event']} processed")


def _link(tenant: Tenant, conversation_id: int = CONVERSATION) -> GlpiTicketLink:
    return wait_for(lambda: GlpiTicketLink.objects.filter(
        tenant=tenant, conversation_id=conversation_id, ticket_id__isnull=False).first(),
        message="the ticket link")


def _conversation_payloads(conversation_id: int = CONVERSATION) -> list[dict[str, Any]]:
    first = "Jó napot! A fúrógépem nem indul, mikor hozhatom be?"
    return [
        conversation_created(conversation_id, CONTACT, message_id=90211, content=first),
        message_created(conversation_id, CONTACT, message_id=90211, content=first),
        message_created(conversation_id, CONTACT, message_id=90212,
                        content="Tegnap vettem ki kölcsönzésből."),
        message_created(conversation_id, CONTACT, message_id=90213, kind="outgoing",
                        content="Kedves Eszter! Holnap 9-től várjuk a szervizben."),
        message_created(conversation_id, CONTACT, message_id=90214, kind="private",
                        content="Törzsügyfél, soron kívül nézzük meg."),
    ]


def test_conversation_messages_and_note_become_one_ticket_never_twice(
        worker, mirrored, glpi: SandboxHandle, live_server) -> None:
    partner = _partner(mirrored)
    payloads = _conversation_payloads()
    _send(live_server.url, mirrored, payloads)
    link = _link(mirrored)
    wait_for(lambda: len(followups(glpi, link.ticket_id)) == 3, message="three followups")
    wait_for(glpi_deliveries_settled, message="deliveries settled")

    [ticket] = tickets(glpi)
    assert ticket["id"] == link.ticket_id
    assert ticket["name"].startswith("Jó napot! A fúrógépem nem indul")
    assert "[kgc-cw-1-c318]" in ticket["content"]
    mirrored_followups = sorted(followups(glpi, link.ticket_id), key=lambda f: f["id"])
    assert [f["is_private"] for f in mirrored_followups] == [0, 0, 1]
    assert "Tegnap vettem ki" in mirrored_followups[0]["content"]
    assert "Holnap 9-től" in mirrored_followups[1]["content"]
    assert "Törzsügyfél" in mirrored_followups[2]["content"]
    # the requester is the partner, as a GLPI user found by our id
    users = [u for u in glpi.state()["records"]["User"]
             if u.get("registration_number") == f"kgc-p{partner.pk}"]
    assert len(users) == 1
    requesters = [a for a in glpi.state()["records"]["Ticket_User"]
                  if a["tickets_id"] == link.ticket_id and a["type"] == 1]
    assert [a["users_id"] for a in requesters] == [users[0]["id"]]
    # the worklog opened from the same conversation shows the ticket
    worklog = Worklog.objects.get(partner=partner)
    assert link.worklog_id == worklog.pk
    assert worklog.timeline.filter(source="glpi", text__contains=f"#{link.ticket_id}").exists()

    # replayed webhooks (new delivery ids): nothing twice
    _send(live_server.url, mirrored, payloads)
    wait_for(glpi_deliveries_settled, message="replays settled")
    assert len(tickets(glpi)) == 1
    assert len(followups(glpi, link.ticket_id)) == 3
    assert len([u for u in glpi.state()["records"]["User"]
                if u.get("registration_number") == f"kgc-p{partner.pk}"]) == 1

    # a lost answer (GLPI wrote the followup, the 500 reached us): one followup still
    injected = glpi.state()["faults_injected"]  # counted since the server started
    glpi.set_fault("500", after=True, count=1, paths="^ITILFollowup")
    _send(live_server.url, mirrored, [message_created(CONVERSATION, CONTACT, message_id=90215,
                                                      content="Rendben, köszönöm!")])
    wait_for(lambda: len(followups(glpi, link.ticket_id)) == 4, message="fourth followup")
    wait_for(glpi_deliveries_settled, message="retry settled")
    contents = [f["content"] for f in followups(glpi, link.ticket_id)]
    assert sum("[kgc-cw-1-m90215]" in c for c in contents) == 1
    assert glpi.state()["faults_injected"] == injected + 1


def test_lost_ticket_create_answer_makes_no_second_ticket(worker, mirrored,
                                                          glpi: SandboxHandle,
                                                          live_server) -> None:
    glpi.set_fault("missing_fields", after=True, count=1, paths="^Ticket/?$")
    _send(live_server.url, mirrored, _conversation_payloads()[:1])
    link = _link(mirrored)
    wait_for(glpi_deliveries_settled, message="settled")
    assert [t["id"] for t in tickets(glpi)] == [link.ticket_id]
    # the broken answer is a clear error on the delivery's first attempt, then it healed
    attempt = DeliveryAttempt.objects.filter(delivery__subscriber="glpi").order_by("id").first()
    assert attempt is not None and attempt.outcome == "retry"
    assert "create Ticket" in attempt.error and "'id'" in attempt.error
    assert Delivery.objects.get(subscriber="glpi").status == "succeeded"


def test_bad_answers_from_glpi_are_logged_retried_and_lose_nothing(
        worker, mirrored, glpi: SandboxHandle, live_server) -> None:
    _send(live_server.url, mirrored, _conversation_payloads()[:1])
    link = _link(mirrored)
    for count, (message_id, mode) in enumerate(((90301, "html500"),
                                                (90302, "garbage_json")), start=1):
        glpi.set_fault(mode, after=True, count=1, paths="^ITILFollowup")
        _send(live_server.url, mirrored, [message_created(
            CONVERSATION, CONTACT, message_id=message_id, content=f"Üzenet {mode}")])
        wait_for(lambda n=count: len(followups(glpi, link.ticket_id)) == n,
                 message=f"followup after {mode}")
        wait_for(glpi_deliveries_settled, message="settled")
    assert len(followups(glpi, link.ticket_id)) == 2
    errors = list(DeliveryAttempt.objects.filter(delivery__subscriber="glpi", outcome="retry")
                  .values_list("error", flat=True))
    assert any("non-JSON body (text/html" in e for e in errors), errors
    assert any("not JSON" in e for e in errors), errors
    assert not Delivery.objects.filter(subscriber="glpi").exclude(status="succeeded").exists()


def test_expired_session_mid_run_reinitialises_once(worker, mirrored, glpi: SandboxHandle,
                                                    live_server) -> None:
    _send(live_server.url, mirrored, _conversation_payloads()[:1])
    link = _link(mirrored)
    glpi.expire_sessions()
    before = glpi.state()["init_session_calls"]
    _send(live_server.url, mirrored, [message_created(CONVERSATION, CONTACT, message_id=90401,
                                                      content="Még egy kérdés.")])
    wait_for(lambda: len(followups(glpi, link.ticket_id)) == 1, message="the followup")
    wait_for(glpi_deliveries_settled, message="settled")
    assert glpi.state()["init_session_calls"] == before + 1
    assert not DeliveryAttempt.objects.filter(delivery__subscriber="glpi",
                                              outcome__in=("retry", "dead")).exists()


def test_resolve_and_reopen_follow_the_ticket(worker, mirrored, glpi: SandboxHandle,
                                              live_server) -> None:
    _send(live_server.url, mirrored, _conversation_payloads()[:1])
    link = _link(mirrored)

    def status() -> int:
        return next(t["status"] for t in tickets(glpi) if t["id"] == link.ticket_id)

    _send(live_server.url, mirrored, [status_changed(CONVERSATION, CONTACT, "resolved")])
    wait_for(lambda: status() == 5, message="ticket solved")
    _send(live_server.url, mirrored, [status_changed(CONVERSATION, CONTACT, "open")])
    wait_for(lambda: status() == 2, message="ticket back to processing")


def test_glpi_down_retries_health_down_and_erp_unaffected(worker, mirrored,
                                                           glpi: SandboxHandle,
                                                           live_server) -> None:
    partner = _partner(mirrored)
    glpi.set_fault("500")
    _send(live_server.url, mirrored, _conversation_payloads()[:1])
    # the ERP and Chatwoot side went on: the worklog is open
    assert Worklog.objects.filter(partner=partner, source=Worklog.Source.CHATWOOT).exists()
    wait_for(lambda: Delivery.objects.filter(subscriber="glpi", attempts__gte=2,
                                             status="pending").exists(), message="retries")
    assert run_health_check("glpi", mirrored.pk).status == "down"
    glpi.clear_faults()
    assert run_health_check("glpi", mirrored.pk).status == "healthy"
    link = _link(mirrored)
    wait_for(glpi_deliveries_settled, message="drained")
    assert [t["id"] for t in tickets(glpi)] == [link.ticket_id]


def test_plugin_off_for_tenant_makes_no_calls(worker, mirrored, glpi: SandboxHandle,
                                              live_server) -> None:
    set_enabled("glpi", mirrored, False)
    from django.core.cache import cache

    cache.clear()
    glpi.clear_requests()
    _send(live_server.url, mirrored, _conversation_payloads()[:3])
    assert not Delivery.objects.filter(subscriber="glpi").exists()
    assert glpi.requests() == []
    assert not GlpiTicketLink.objects.exists()
