"""The tombstones at GLPI's, Krayin's and the campaigns' doors, against the sandboxes (no
worker: each door is called as its task or handler calls it): an erased person is never
brought back by the Krayin lead poll (webhook push or beat), the initial sync or the
reconcile, the GLPI requester lookup or poll, or a campaign selection; and the Krayin
erasure deletes an organization only when nobody else belongs to it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.campaigns.queueing import queue_candidates, run_campaign
from apps.crm_plugin.campaigns.selection import Candidate
from apps.crm_plugin.krayin.client import KrayinClient
from apps.crm_plugin.krayin.inbound import on_leads_changed
from apps.crm_plugin.krayin.initial_sync import run_sync, start_run
from apps.crm_plugin.krayin.lead_poll import poll_leads
from apps.crm_plugin.krayin.leads import lead_setup
from apps.crm_plugin.krayin.partner_sync import push_partners
from apps.crm_plugin.krayin.privacy import KrayinPrivacyHandler
from apps.crm_plugin.krayin.reconcile import reconcile
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.plugin_manager.privacy.handlers import PrivacySubject
from apps.plugin_manager.privacy.opening import open_request
from apps.support_plugin.glpi.config import from_settings
from apps.support_plugin.glpi.models import GlpiTicketLink
from apps.support_plugin.glpi.poll import poll_tenant
from apps.support_plugin.glpi.requester import ensure_requester
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant
from tests.crm_plugin.krayin.helpers import client_for, control, person_of, persons
from tests.factories import PartnerFactory, TenantFactory, start_rental
from tests.support_plugin.glpi.conftest import connect_glpi
from tests.support_plugin.glpi.helpers import APP_TOKEN, USER_TOKEN

pytestmark = pytest.mark.django_db

PHONE = "+36304440022"
EMAIL = "torolt.ugyfel@example.hu"


@pytest.fixture
def tenant(db: None) -> Tenant:
    for plugin_id in ("support", "crm", "glpi", "crm_campaigns"):
        services.set_enabled(plugin_id, None, False)
    return TenantFactory(slug="kgc-gyor", name="KGC Győr")


def _erase(partner: Partner) -> Partner:
    open_request(partner, "erasure", requested_by="ügyfél", channel="email")
    partner.refresh_from_db()
    return partner


def _krayin_settings(handle: Any) -> dict[str, object]:
    from tests.crm_plugin.krayin.helpers import EMAIL as API_EMAIL
    from tests.crm_plugin.krayin.helpers import PASSWORD, TEST_RATE_LIMIT

    return {"crm_backend": "krayin", "krayin_api_url": handle.api_url,
            "krayin_email": API_EMAIL, "krayin_password": PASSWORD,
            "krayin_rate_limit_per_minute": TEST_RATE_LIMIT}


def _refusals(caplog: pytest.LogCaptureFixture, path: str) -> int:
    messages = [r.getMessage() for r in caplog.records]
    return sum(1 for m in messages if "privacy.tombstone.refused" in m and f"path={path}" in m)


# -- Krayin ---------------------------------------------------------------------------------


def _won_lead(client: KrayinClient, krayin: Any, person_id: int) -> None:
    setup = lead_setup(client)
    lead = client.create_lead({
        "title": "[CW-9] Vásárlási érdeklődés – Törölt Ügyfél", "description": "x",
        "lead_value": "0.0000", "lead_source_id": setup.source_id,
        "lead_type_id": setup.type_id, "user_id": setup.user_id,
        "lead_pipeline_stage_id": setup.new_stage_id, "person": {"id": person_id}})
    control(krayin, "POST", f"leads/{lead['id']}/stage", json={"stage": "won"})


def test_krayin_push_and_poll_never_onboard_an_erased_persons_lead(
        tenant: Tenant, krayin: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="privacy.tombstones")
    marked = PartnerFactory(tenant=tenant, name="Jelölt Ügyfél", phone="+36304440023",
                            email="jelolt@example.hu")
    with client_for(krayin) as client:
        pushed = push_partners(client, [marked], maybe_done=False)[marked.pk]
        # A person typed in by hand in Krayin with the erased e-mail, and ours (marker).
        by_hand = client.create_person({
            "name": "Kézzel Felvett", "emails": [{"value": EMAIL, "label": "work"}],
            "contact_numbers": [{"value": "+36304449999", "label": "work"}],
            "organization_id": None, "user_id": None})
        _erase(PartnerFactory(tenant=tenant, phone=PHONE, email=EMAIL))
        _erase(marked)
        _won_lead(client, krayin, int(by_hand["id"]))
        _won_lead(client, krayin, pushed)
        before = Tenant.objects.count()
        assert poll_leads(client).tenants_created == 0  # the beat's poll
        # The workflow push runs the same poll from the inbox.
        delivery = InboundDelivery.objects.create(
            source="krayin", tenant=tenant, dedupe_key="push-1", raw_body=b"{}",
            verification="ok", status=InboundDelivery.Status.RECEIVED, response_status=200)
    services.update_settings("crm", tenant, _krayin_settings(krayin))
    on_leads_changed(delivery, {})
    assert Tenant.objects.count() == before
    assert _refusals(caplog, "krayin.lead_poll") >= 2


def test_krayin_initial_sync_and_reconcile_bring_back_no_erased_value(
        tenant: Tenant, krayin: Any) -> None:
    erased = _erase(PartnerFactory(tenant=tenant, name="Törlendő Anna", phone=PHONE,
                                   email=EMAIL))
    # The family's other member holds the same phone, recorded without lifting the tombstone.
    family = PartnerFactory(tenant=tenant, name="Családtag Béla", phone=PHONE,
                            email="bela.csalad@example.hu")
    with client_for(krayin) as client:
        run = run_sync(client, start_run(tenant), sleep=lambda _s: None)
        assert run.status == "succeeded", run.error
        assert person_of(krayin, erased.pk) is None
        person = person_of(krayin, family.pk)
        assert person is not None
        assert PHONE not in str(person["contact_numbers"])
        assert "bela.csalad@example.hu" in str(person["emails"])
        # Someone types the phone back in Krayin: the reconcile writes the ERP's view
        # without it again, and creates nothing for the erased partner.
        client.update_person(int(person["id"]), {**{k: person[k] for k in ("name", "emails")},
                                                 "contact_numbers": [{"value": PHONE,
                                                                      "label": "work"}],
                                                 "user_id": None, "organization_id": None})
        reconcile(client, tenant)
    assert person_of(krayin, erased.pk) is None
    assert PHONE not in str(person_of(krayin, family.pk)["contact_numbers"])  # type: ignore[index]
    assert all(EMAIL not in str(p["emails"]) for p in persons(krayin))


def test_krayin_erasure_deletes_the_organization_only_when_it_was_theirs(
        tenant: Tenant, krayin: Any) -> None:
    owner = PartnerFactory(tenant=tenant, name="Kis Ottó", company="Kis és Társa Bt.",
                           is_business=True, phone="+36304440031", email="otto@kis.hu")
    colleague = PartnerFactory(tenant=tenant, name="Kis Olga", company="Kis és Társa Bt.",
                               is_business=True, phone="+36304440032", email="olga@kis.hu")
    handler = KrayinPrivacyHandler()
    with client_for(krayin) as client:
        ids = push_partners(client, [owner, colleague], maybe_done=False)
        [org] = client.find_organizations("Kis és Társa Bt.")

        def subject(partner: Partner) -> PrivacySubject:
            return PrivacySubject(tenant=tenant, partner_id=partner.pk, phone=partner.phone,
                                  email=partner.email, settings=_krayin_settings(krayin))

        first = handler.erase(subject(owner))
        assert first.action == "deleted" and str(ids[owner.pk]) in first.external_id
        assert "organizations deleted: none" in first.evidence
        assert client.get_organization(int(org["id"]))  # Olga still works there
        second = handler.erase(subject(colleague))
        assert f"organizations deleted: [{org['id']}]" in second.evidence
        assert client.find_organizations("Kis és Társa Bt.") == []
        # Idempotent: a retry (a lost answer) deletes nothing more and fails on nothing; the
        # link still shows Krayin held the person, so the receipt says deleted.
        assert handler.erase(subject(colleague)).action == "deleted"
    assert persons(krayin) == []


# -- GLPI -----------------------------------------------------------------------------------


def _glpi_settings(glpi: Any) -> Any:
    return from_settings({"glpi_api_url": glpi.url, "glpi_app_token": APP_TOKEN,
                          "glpi_user_token": USER_TOKEN})


def test_glpi_creates_no_requester_for_an_erased_person(
        tenant: Tenant, glpi: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="privacy.tombstones")
    erased = _erase(PartnerFactory(tenant=tenant, phone=PHONE, email=EMAIL))
    settings = _glpi_settings(glpi)
    client = settings.client(tenant.pk)
    contact = {"id": 77, "name": "Törölt Ügyfél", "email": EMAIL, "phone_number": PHONE}
    # The erased partner's conversation, and a new contact with the erased phone.
    assert ensure_requester(client, settings, tenant, partner=erased, account_id=1,
                            contact=contact) is None
    assert ensure_requester(client, settings, tenant, partner=None, account_id=1,
                            contact={**contact, "email": None}) is None
    users = glpi.state()["records"]["User"]
    assert not [u for u in users if str(u.get("name", "")).startswith(("kgc-p", "kgc-c"))]
    assert _refusals(caplog, "glpi.requester") == 2


def test_glpi_poll_brings_nothing_of_an_erased_person_back(
        tenant: Tenant, glpi: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="privacy.tombstones")
    connect_glpi(tenant, glpi)
    services.update_settings("support", tenant, {
        "chatwoot_api_url": "http://127.0.0.1:9", "chatwoot_api_key": "nincs",
        "chatwoot_account_id": 1})
    settings = _glpi_settings(glpi)
    client = settings.client(tenant.pk)
    links = []
    for number, partner in enumerate((
            PartnerFactory(tenant=tenant, phone=PHONE, email=EMAIL),
            PartnerFactory(tenant=tenant, phone="+36304440099", email="marad@example.hu"))):
        requester = ensure_requester(client, settings, tenant, partner=partner, account_id=1,
                                     contact={})
        assert requester is not None
        ticket_id = client.create_item("Ticket", {"name": "Jegy", "content": "Szöveg",
                                                  "_users_id_requester": requester.id})
        status = int(str(client.get_item("Ticket", ticket_id)["status"]))
        links.append(GlpiTicketLink.objects.create(
            tenant=tenant, account_id=1, conversation_id=500 + number, ticket_id=ticket_id,
            requester_id=requester.id, glpi_status=status))
        if number == 0:
            _erase(partner)
    GlpiTicketLink.objects.update(created_at=timezone.now() - timedelta(hours=1))

    result = poll_tenant(tenant)

    # Only the other person's ticket is read back (no Chatwoot call for either: nothing new).
    assert result.tickets == 1
    assert _refusals(caplog, "glpi.poll") == 1


# -- campaigns ------------------------------------------------------------------------------


def test_campaigns_never_select_or_queue_an_erased_person(tenant: Tenant) -> None:
    services.set_enabled("crm_campaigns", tenant, True)
    reminder, _ = Campaign.objects.get_or_create(kind=CampaignKind.EXPIRY_REMINDER,
                                                 defaults={"name": "Emlékeztető"})
    erased = PartnerFactory(tenant=tenant, phone=PHONE, email=EMAIL)
    start_rental(erased, days=1)  # due tomorrow: the expiry reminder's occasion
    _erase(erased)
    # Another partner row still holding the erased address (recorded without lifting it).
    holder = PartnerFactory(tenant=tenant, email=EMAIL.upper())

    run = run_campaign(reminder)
    outcome = queue_candidates(reminder, [Candidate(
        partner_id=holder.pk, tenant_id=tenant.pk, email=holder.email, marketing_consent=True,
        occasion_key="rental:1:x", context={})])

    assert run.selected == 0  # the erased partner is inactive: never selected
    assert outcome.queued == 0 and outcome.skipped_no_email == 1
    assert not CampaignSend.objects.exists()
