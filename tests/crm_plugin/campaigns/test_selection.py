"""Each campaign selects exactly the right partners on a frozen date (edge cases at the
boundaries), with the skips counted by reason; a second run queues nothing new."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignRun, CampaignSend
from apps.crm_plugin.campaigns.queueing import run_campaign
from apps.crm_plugin.campaigns.selection import months_before
from apps.plugin_manager.eventbus.models import Event
from apps.support_plugin.chatwoot.models import ConversationLink
from kgc_erp.partners.models import Partner
from kgc_erp.partners.services import erase_partner
from kgc_erp.rentals.models import Rental
from kgc_erp.service.models import Worklog

TODAY = date(2026, 12, 6)
pytestmark = pytest.mark.usefixtures("plugin_on")


def run(kind: str, today: date = TODAY) -> tuple[CampaignRun, set[int]]:
    campaign = Campaign.objects.get(kind=kind)
    result = run_campaign(campaign, today)
    partners = set(CampaignSend.objects.filter(run=result).values_list("partner_id", flat=True))
    return result, partners


def test_expiry_reminder_boundaries(make_partner: Callable[..., Partner],
                                    make_rental: Callable[..., Rental]) -> None:
    active = Rental.Status.ACTIVE
    tomorrow = TODAY + timedelta(days=1)
    due = make_partner("Holnap Lejár Kft.", consent=False)  # transactional: no consent needed
    make_rental(due, TODAY - timedelta(days=3), tomorrow, status=active)
    today_ = make_partner("Ma Lejár")
    make_rental(today_, TODAY - timedelta(days=3), TODAY, status=active)
    later = make_partner("Holnapután Lejár")
    make_rental(later, TODAY - timedelta(days=3), TODAY + timedelta(days=2), status=active)
    returned = make_partner("Már Visszahozta")
    make_rental(returned, TODAY - timedelta(days=3), tomorrow)
    no_email = make_partner("Nincs Címe", email="")
    make_rental(no_email, TODAY - timedelta(days=3), tomorrow, status=active)
    erased = make_partner("Törlendő")
    make_rental(erased, TODAY - timedelta(days=3), tomorrow, status=active)
    erase_partner(erased)

    result, partners = run(CampaignKind.EXPIRY_REMINDER)

    assert partners == {due.pk}
    assert (result.selected, result.queued, result.skipped_no_email) == (2, 1, 1)
    send = CampaignSend.objects.get(run=result)
    assert send.occasion_key.endswith(f":{tomorrow.isoformat()}")
    assert Event.objects.filter(type="campaign.send_due", object_id=str(send.pk)).count() == 1


def test_win_back_six_months_edges_consent_and_once(
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental]) -> None:
    cutoff = months_before(TODAY, 6)
    old = make_partner("Régen Bérelt")
    make_rental(old, cutoff - timedelta(days=1), cutoff + timedelta(days=2))
    almost = make_partner("Hat Hónap Mínusz Egy Nap")
    make_rental(almost, cutoff + timedelta(days=1), cutoff + timedelta(days=3))
    recent = make_partner("Friss Bérlő")
    make_rental(recent, cutoff - timedelta(days=100), cutoff - timedelta(days=99))
    make_rental(recent, TODAY - timedelta(days=10), TODAY - timedelta(days=8))
    no_consent = make_partner("Nem Kér Reklámot", consent=False)
    make_rental(no_consent, cutoff - timedelta(days=30), cutoff - timedelta(days=28))
    no_email = make_partner("Nincs E-mail", email="")
    make_rental(no_email, cutoff - timedelta(days=30), cutoff - timedelta(days=28))
    erased = make_partner("Törölt")
    make_rental(erased, cutoff - timedelta(days=30), cutoff - timedelta(days=28))
    erase_partner(erased)
    still_out = make_partner("Nála Van A Gép")
    make_rental(still_out, cutoff - timedelta(days=30), cutoff - timedelta(days=28),
                status=Rental.Status.LATE)

    result, partners = run(CampaignKind.WIN_BACK)
    assert partners == {old.pk}
    assert (result.selected, result.queued, result.skipped_no_consent,
            result.skipped_no_email, result.skipped_already_sent) == (3, 1, 1, 1, 0)

    again, partners_again = run(CampaignKind.WIN_BACK)
    assert partners_again == set()
    assert (again.selected, again.queued, again.skipped_already_sent) == (3, 0, 1)
    # A week later "almost" is past six months too; "old" had its e-mail a week ago.
    later, partners_later = run(CampaignKind.WIN_BACK, TODAY + timedelta(days=7))
    assert partners_later == {almost.pk}
    assert (later.selected, later.queued, later.skipped_already_sent) == (4, 1, 1)
    assert CampaignSend.objects.filter(partner=old).count() == 1


def test_upsell_more_than_three_of_one_category_in_30_days(
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental],
        make_machine: Callable[..., object]) -> None:
    def rentals(partner: Partner, days_ago: list[int], category: str) -> None:
        machine = make_machine(name=f"{category} gép", type=category)
        for ago in days_ago:
            start = TODAY - timedelta(days=ago)
            make_rental(partner, start, start + timedelta(days=1), machine=machine)

    frequent = make_partner("Gyakori Bérlő")
    rentals(frequent, [1, 5, 10, 29], "fúrókalapács")
    three = make_partner("Csak Három")
    rentals(three, [1, 5, 10], "fúrókalapács")
    mixed = make_partner("Vegyes")
    rentals(mixed, [1, 5], "fúrókalapács")
    rentals(mixed, [2, 6], "betonkeverő")
    outside = make_partner("Egy Régebbi")
    rentals(outside, [1, 5, 10, 30], "fúrókalapács")

    result, partners = run(CampaignKind.UPSELL)
    assert partners == {frequent.pk}
    send = CampaignSend.objects.get(run=result)
    assert send.context == {"category": "fúrókalapács", "rental_count": 4}


def test_new_machines_only_for_renters_of_that_category(
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental],
        make_machine: Callable[..., object]) -> None:
    drill = make_machine(type="fúrókalapács")
    mixer = make_machine(type="betonkeverő")
    driller = make_partner("Fúró Ferenc")
    make_rental(driller, TODAY - timedelta(days=300), TODAY - timedelta(days=299), machine=drill)
    mixer_user = make_partner("Keverő Kata")
    make_rental(mixer_user, TODAY - timedelta(days=300), TODAY - timedelta(days=299),
                machine=mixer)

    first, partners = run(CampaignKind.NEW_MACHINES)
    assert partners == set() and first.selected == 0  # the first run only notes the fleet

    new = make_machine(name="Makita HR3210 fúrókalapács", type="fúrókalapács")
    result, partners = run(CampaignKind.NEW_MACHINES, TODAY + timedelta(days=7))
    assert partners == {driller.pk}
    assert CampaignSend.objects.get(run=result).context["machine_ids"] == [new.pk]  # type: ignore[attr-defined]
    _, partners = run(CampaignKind.NEW_MACHINES, TODAY + timedelta(days=14))
    assert partners == set()


def test_vip_welcome_on_the_tenth_closed_rental(
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental]) -> None:
    def closed(partner: Partner, n: int, last_return: date) -> None:
        for i in range(n):
            returned = last_return - timedelta(days=20 * (n - 1 - i))
            make_rental(partner, returned - timedelta(days=2), returned, returned=returned)

    tenth = make_partner("Tizedik Tamás")
    closed(tenth, 10, TODAY - timedelta(days=3))
    ninth = make_partner("Kilences Kornél")
    closed(ninth, 9, TODAY - timedelta(days=3))
    veteran = make_partner("Régi VIP")  # the 10th was long ago, the 11th is recent
    closed(veteran, 11, TODAY - timedelta(days=3))

    _, partners = run(CampaignKind.VIP_WELCOME)
    assert partners == {tenth.pk}
    assert run(CampaignKind.VIP_WELCOME)[0].skipped_already_sent == 1


def test_repair_ready_skips_partners_with_a_chatwoot_conversation(
        make_partner: Callable[..., Partner], tenant: object) -> None:
    def worklog(partner: Partner, status: str, n: int) -> Worklog:
        return Worklog.objects.create(
            number=f"M-TEST-{n}", tenant=partner.tenant, partner=partner,
            machine_type="Bosch GBH 2-26 fúrókalapács", issue_description="Nem üt",
            status=status, repair_cost=12500,
            completed_at=timezone.make_aware(datetime.combine(TODAY - timedelta(days=1), time(9))))

    ready = make_partner("Kész Gépű", consent=False)
    worklog(ready, Worklog.Status.DONE, 1)
    chatting = make_partner("Chates Ügyfél")
    linked = worklog(chatting, Worklog.Status.DONE, 2)
    ConversationLink.objects.create(tenant=chatting.tenant, account_id=1, conversation_id=7,
                                    worklog=linked)
    in_repair = make_partner("Még Javítják")
    worklog(in_repair, Worklog.Status.REPAIR, 3)

    _, partners = run(CampaignKind.REPAIR_READY)
    assert partners == {ready.pk}


def test_switched_off_campaign_or_tenant_selects_nobody(
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental]) -> None:
    partner = make_partner()
    make_rental(partner, TODAY, TODAY + timedelta(days=1), status=Rental.Status.ACTIVE)
    campaign = Campaign.objects.get(kind=CampaignKind.EXPIRY_REMINDER)
    campaign.disabled_tenants.add(partner.tenant)
    assert run(CampaignKind.EXPIRY_REMINDER)[1] == set()
    campaign.disabled_tenants.clear()
    Campaign.objects.filter(pk=campaign.pk).update(is_active=False)
    assert run(CampaignKind.EXPIRY_REMINDER)[1] == set()
