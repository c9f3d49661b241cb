"""End to end through the event bus and a real worker to a real SMTP server (aiosmtpd):
valid MIME with both parts, UTF-8 subjects, RFC 8058 headers; once per occasion; SMTP 451
retried, 550 failed with the reason; the due-tomorrow reminder once across channels."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.campaigns.queueing import run_campaign
from apps.crm_plugin.campaigns.selection import months_before
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.rentals.services import announce_rentals_due_tomorrow
from tests.infrastructure.processes import WorkerSupervisor
from tests.infrastructure.waiting import wait_for

from .conftest import PUBLIC_BASE_URL
from .smtp_sink import SmtpSink

S = CampaignSend.Status


def _win_back_partner(make_partner: Callable[..., Partner],
                      make_rental: Callable[..., Rental], **extra: object) -> Partner:
    today = timezone.localdate()
    partner = make_partner("Árvíztűrő Tükörfúrógép Éva", **extra)
    start = months_before(today, 7)
    make_rental(partner, start, start + timedelta(days=2))
    return partner


def _send_of(partner: Partner) -> CampaignSend:
    return CampaignSend.objects.get(partner=partner)


def _settled(partner: Partner, status: str) -> CampaignSend | None:
    send = CampaignSend.objects.filter(partner=partner).first()
    return send if send is not None and send.status == status else None


def test_win_back_reaches_smtp_as_valid_mime_once(
        worker: WorkerSupervisor, smtp: SmtpSink, make_partner: Callable[..., Partner],
        make_rental: Callable[..., Rental]) -> None:
    partner = _win_back_partner(make_partner, make_rental)
    campaign = Campaign.objects.get(kind=CampaignKind.WIN_BACK)

    assert run_campaign(campaign).queued == 1
    send = wait_for(lambda: _settled(partner, S.SENT), message="win-back sent")
    received = smtp.handler.to(partner.email)
    assert len(received) == 1
    message = received[0].parsed()
    subject = message["Subject"]
    assert subject == f"Hiányzik nekünk, {partner.name}! 10% kedvezmény a következő bérlésére"
    assert message["Message-ID"] == send.message_id
    assert message["List-Unsubscribe"].startswith(f"<{PUBLIC_BASE_URL}/email/leiratkozas/")
    assert message["List-Unsubscribe"].endswith("/egy-kattintas/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert partner.email not in message["List-Unsubscribe"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == "utf-8"
    assert f"Tisztelt {partner.name}!" in text.get_content()
    assert "Leiratkozás: https://" in text.get_content()
    assert "itt leiratkozhat" in html.get_content()
    # What the admin shows is what was sent.
    assert send.subject == subject
    assert send.body_text.strip() in text.get_content().replace("\r\n", "\n")

    # The same campaign again (same day, and the next week): no second e-mail.
    assert run_campaign(campaign).queued == 0
    assert run_campaign(campaign, timezone.localdate() + timedelta(days=7)).queued == 0
    time.sleep(0.5)
    assert len(smtp.handler.to(partner.email)) == 1


def test_smtp_451_then_success_sends_one_email(
        worker: WorkerSupervisor, smtp: SmtpSink, make_partner: Callable[..., Partner],
        make_rental: Callable[..., Rental]) -> None:
    smtp.handler.replies.append("451 4.3.0 Temporary local problem, try again")
    partner = _win_back_partner(make_partner, make_rental)
    run_campaign(Campaign.objects.get(kind=CampaignKind.WIN_BACK))

    wait_for(lambda: _settled(partner, S.SENT), message="sent after the 451")
    assert smtp.handler.refused == 1
    assert len(smtp.handler.to(partner.email)) == 1
    delivery = Delivery.objects.get(event__type="campaign.send_due",
                                    object_id=str(_send_of(partner).pk))
    assert delivery.attempts == 2


def test_smtp_550_marks_the_send_failed_with_the_reason(
        worker: WorkerSupervisor, smtp: SmtpSink, make_partner: Callable[..., Partner],
        make_rental: Callable[..., Rental]) -> None:
    smtp.handler.replies.append("550 5.1.1 Mailbox unavailable")
    partner = _win_back_partner(make_partner, make_rental)
    run_campaign(Campaign.objects.get(kind=CampaignKind.WIN_BACK))

    send = wait_for(lambda: _settled(partner, S.FAILED), message="failed after the 550")
    assert send.error == "SMTP 550: 5.1.1 Mailbox unavailable"
    delivery = wait_for(lambda: Delivery.objects.filter(
        object_id=str(send.pk), status=Delivery.Status.DEAD).first(), message="dead delivery")
    assert delivery.attempts == 1
    assert smtp.handler.to(partner.email) == []


def test_due_tomorrow_task_twice_gives_one_chatwoot_delivery_and_one_email(
        worker: WorkerSupervisor, smtp: SmtpSink, make_partner: Callable[..., Partner],
        make_rental: Callable[..., Rental]) -> None:
    # The support plugin on as well, so its Chatwoot message is one of the subscribers.
    services.update_settings("support", None, {
        "chatwoot_api_url": "http://127.0.0.1:9", "chatwoot_api_key": "k",
        "chatwoot_account_id": 1})
    services.set_enabled("support", None, True)
    today = timezone.localdate()
    partner = make_partner("Lejáró Bérlő Béla", consent=False)
    make_rental(partner, today - timedelta(days=2), today + timedelta(days=1),
                status=Rental.Status.ACTIVE)

    assert announce_rentals_due_tomorrow(today) == 1
    assert announce_rentals_due_tomorrow(today) == 0
    wait_for(lambda: _settled(partner, S.SENT), message="reminder e-mail sent")
    # The daily selection at 10:00 finds the same occasion and sends nothing more.
    run = run_campaign(Campaign.objects.get(kind=CampaignKind.EXPIRY_REMINDER), today)
    assert (run.selected, run.queued, run.skipped_already_sent) == (1, 0, 1)

    time.sleep(0.5)
    assert Delivery.objects.filter(event__type="rental.due_tomorrow",
                                   subscriber="support").count() == 1
    assert len(smtp.handler.to(partner.email)) == 1
    message = smtp.handler.to(partner.email)[0].parsed()
    assert message["List-Unsubscribe"] is None  # transactional: no unsubscribe
    end = (today + timedelta(days=1))
    assert f"{end.year}. " in message["Subject"]
