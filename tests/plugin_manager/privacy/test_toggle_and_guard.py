"""A plugin switched back on gets its switched-off erasure steps queued; staff recording an
erased person again through the partner admin lift the tombstone, recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.models import PluginState
from apps.plugin_manager.privacy.models import PrivacyRequest, PrivacyStep, Tombstone
from apps.plugin_manager.privacy.opening import open_request
from apps.plugin_manager.privacy.receivers import on_plugin_toggled
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory, headquarters

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
