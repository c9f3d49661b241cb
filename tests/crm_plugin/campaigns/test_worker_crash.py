"""A worker SIGKILLed in the middle of a campaign: after a restart (and the sweeper) the
campaign finishes, and no partner gets the e-mail twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.campaigns.outbound import UNCERTAIN
from apps.crm_plugin.campaigns.queueing import run_campaign
from apps.crm_plugin.campaigns.selection import months_before
from apps.crm_plugin.campaigns.tasks import run_campaign_task
from apps.plugin_manager.eventbus import sweeper
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine, Rental
from kgc_erp.tenants.models import Tenant
from tests.infrastructure.processes import WorkerSupervisor
from tests.infrastructure.waiting import wait_for

from .smtp_sink import SmtpSink

PARTNERS = 300


def _win_back_population(tenant: Tenant) -> list[Partner]:
    start = months_before(timezone.localdate(), 7)
    machine = Machine.objects.create(tenant=tenant, name="Stihl TS 420 gyorsdaraboló",
                                     type="gyorsdaraboló", serial="SN-CRASH-1", daily_rate=15000)
    # bulk_create: no per-row partner.created events, the population is only data here.
    partners = Partner.objects.bulk_create(
        Partner(tenant=tenant, name=f"Ügyfél {i:03d}", email=f"ugyfel{i}@example.hu",
                marketing_consent=True) for i in range(PARTNERS))
    Rental.objects.bulk_create(
        Rental(number=f"B-CRASH-{i:05d}", tenant=tenant, partner=partner, machine=machine,
               start_date=start, end_date=start + timedelta(days=1),
               status=Rental.Status.COMPLETED, returned_at=timezone.now() - timedelta(days=200))
        for i, partner in enumerate(partners))
    return partners


def test_worker_killed_mid_campaign_resumes_without_duplicates(
        worker: WorkerSupervisor, smtp: SmtpSink, tenant: Tenant) -> None:
    partners = _win_back_population(tenant)
    smtp.handler.delay = 0.01  # a server slow enough to kill the worker mid-campaign

    run_campaign_task.delay(CampaignKind.WIN_BACK)  # the beat task, in the worker
    wait_for(lambda: smtp.handler.count() >= 30, message="some e-mails sent", timeout=60)
    worker.kill()
    assert smtp.handler.count() < PARTNERS
    worker.ensure()

    # The selection again (beat's next run, or an admin): finds what is queued already.
    run_campaign(Campaign.objects.get(kind=CampaignKind.WIN_BACK))

    def finished() -> bool:
        sweeper.sweep()  # beat does this every minute: leases of the killed worker expire
        return not CampaignSend.objects.filter(
            status__in=(CampaignSend.Status.PENDING, CampaignSend.Status.SENDING)).exists()

    wait_for(finished, timeout=180, interval=1.0, message="campaign finished")
    sends = CampaignSend.objects.filter(campaign__kind=CampaignKind.WIN_BACK)
    assert sends.count() == PARTNERS
    assert Counter(sends.values_list("partner_id", flat=True)) == Counter(
        p.pk for p in partners)
    per_recipient = Counter(r for item in smtp.handler.received for r in item.rcpt_tos)
    assert max(per_recipient.values()) == 1, "a partner got the e-mail twice"
    sent = sends.filter(status=CampaignSend.Status.SENT)
    uncertain = sends.filter(status=CampaignSend.Status.FAILED, error=UNCERTAIN)
    # Only the e-mails inside an SMTP transaction at the moment of the kill are uncertain.
    assert uncertain.count() <= worker.concurrency
    assert sent.count() + uncertain.count() == PARTNERS
    assert set(sent.values_list("to_email", flat=True)) <= set(per_recipient)
