"""A plugin switched back on gets its switched-off erasure steps queued (and GLPI, Krayin
and the campaigns then erase from the partner id alone); staff recording an erased person
again through the partner admin lift the tombstone, recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.krayin.partner_sync import push_partners
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.models import PluginState
from apps.plugin_manager.privacy.completion import complete_if_finished
from apps.plugin_manager.privacy.execution import execute_step
from apps.plugin_manager.privacy.models import PrivacyRequest, PrivacyStep, Tombstone
from apps.plugin_manager.privacy.opening import open_request
from apps.plugin_manager.privacy.receivers import on_plugin_toggled
from apps.support_plugin.glpi.config import from_settings
from apps.support_plugin.glpi.requester import ensure_requester
from kgc_erp.partners.models import Partner
from tests.crm_plugin.krayin.helpers import EMAIL as KRAYIN_USER
from tests.crm_plugin.krayin.helpers import PASSWORD, client_for, person_of
from tests.factories import PartnerFactory, headquarters
from tests.support_plugin.glpi.helpers import APP_TOKEN, USER_TOKEN
from tests.support_plugin.glpi.helpers import tickets as glpi_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def plugins_off(db: None) -> None:
    for plugin_id in ("support", "crm"):
        services.set_enabled(plugin_id, None, False)


def test_switched_off_erasure_steps_are_queued_when_the_plugin_comes_back(
        plugins_off: None) -> None:
    partner = PartnerFactory()
    request = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="ügyfél",
                           channel="email")
    step = request.steps.get(system="chatwoot")
    assert step.status == PrivacyStep.Status.SWITCHED_OFF

    # Switched on for the tenant (the state row; the plugin's own on-enable setup is not
    # wanted here), then the signal services.set_enabled sends after commit.
    PluginState.objects.update_or_create(plugin_id="support", tenant=partner.tenant,
                                         defaults={"enabled": True})
    on_plugin_toggled(None, plugin_id="support", tenant_id=partner.tenant_id, enabled=True)
    step.refresh_from_db()
    assert step.status == PrivacyStep.Status.PENDING
    assert Delivery.objects.filter(object_type="privacy.privacystep", object_id=str(step.pk),
                                   subscriber="support").exists()
    assert request.steps.get(system="twenty").status == PrivacyStep.Status.SWITCHED_OFF


def test_partner_admin_records_an_erased_person_again_only_when_confirmed(
        plugins_off: None, admin_client: Client, admin_user: Any) -> None:
    erased = PartnerFactory(phone="+36307770011", email="ujra@example.hu")
    open_request(erased, "erasure", requested_by="ügyfél", channel="email")
    data = {"tenant": headquarters().pk, "name": "Újra Felvett", "phone": "06 30 777 0011",
            "email": "", "payment_status": "good", "is_active": "on",
            "rentals-TOTAL_FORMS": "0", "rentals-INITIAL_FORMS": "0",
            "worklogs-TOTAL_FORMS": "0", "worklogs-INITIAL_FORMS": "0",
            "orders-TOTAL_FORMS": "0", "orders-INITIAL_FORMS": "0"}
    url = reverse("admin:partners_partner_add")
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "adatvédelmi kérelem alapján" in page
    assert "A személy kérésére újra felvesszük" in page
    assert not Partner.objects.filter(name="Újra Felvett").exists()

    accepted = admin_client.post(url, {**data, "confirm_contact_guard": "on"})
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    assert Partner.objects.filter(name="Újra Felvett", phone="+36307770011").exists()
    phone_tombstone = Tombstone.objects.get(kind="phone")
    assert phone_tombstone.lifted_at is not None and phone_tombstone.lifted_by == admin_user
    assert Tombstone.objects.get(kind="email").lifted_at is None  # the e-mail was not reused


def test_glpi_krayin_and_campaign_copies_kept_while_off_are_erased_when_back_on(
        plugins_off: None, glpi: Any, krayin: Any) -> None:
    """The request completed while GLPI, the CRM and the campaigns were off, so its
    identifiers are wiped: back on, each step finds the person from the partner id alone
    (links, our markers) and erases what that system kept meanwhile."""
    for plugin_id in ("glpi", "crm_campaigns"):
        services.set_enabled(plugin_id, None, False)
    partner = PartnerFactory(name="Vissza Kapcsolt", phone="+36304440077",
                             email="visszakapcsolt@example.hu")
    glpi_values = {"glpi_api_url": glpi.url, "glpi_app_token": APP_TOKEN,
                   "glpi_user_token": USER_TOKEN}
    glpi_settings = from_settings(glpi_values)
    client = glpi_settings.client(partner.tenant_id)
    requester = ensure_requester(client, glpi_settings, partner.tenant, partner=partner,
                                 account_id=1, contact={})
    assert requester is not None
    ticket_id = client.create_item("Ticket", {"name": "Jegy", "content": "A gépem nem indul",
                                              "_users_id_requester": requester.id})
    with client_for(krayin) as krayin_client:
        person_id = push_partners(krayin_client, [partner], maybe_done=False)[partner.pk]
    campaign, _ = Campaign.objects.get_or_create(kind=CampaignKind.UPSELL,
                                                 defaults={"name": "Ajánlat"})
    send = CampaignSend.objects.create(campaign=campaign, tenant=partner.tenant,
                                       partner=partner, occasion_key="k", status="sent",
                                       to_email=partner.email, body_text="Szöveg")

    request = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="ügyfél",
                           channel="email")
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.DONE and request.identifiers == ""
    krayin_values = {"krayin_api_url": krayin.api_url, "krayin_email": KRAYIN_USER,
                     "krayin_password": PASSWORD}
    for system, plugin_id, values in (("glpi", "glpi", glpi_values),
                                      ("krayin", "crm", krayin_values),
                                      ("campaigns", "crm_campaigns", {})):
        step = request.steps.get(system=system)
        assert step.status == PrivacyStep.Status.SWITCHED_OFF
        PluginState.objects.update_or_create(plugin_id=plugin_id, tenant=partner.tenant,
                                             defaults={"enabled": True})
        on_plugin_toggled(None, plugin_id=plugin_id, tenant_id=partner.tenant_id, enabled=True)
        step.refresh_from_db()
        assert step.status == PrivacyStep.Status.PENDING
        execute_step(step, values)  # what the queued delivery runs
        step.refresh_from_db()
        assert step.status == PrivacyStep.Status.DONE and step.action != "nothing_held", system
    complete_if_finished(request.pk)

    assert not [t for t in glpi_tickets(glpi) if t["id"] == ticket_id]
    users = [u["id"] for u in glpi.state()["records"]["User"]]
    assert requester.id not in users
    assert person_of(krayin, partner.pk) is None
    send.refresh_from_db()
    assert send.to_email == "" and send.body_text == ""
    assert str(person_id) in request.steps.get(system="krayin").external_id
