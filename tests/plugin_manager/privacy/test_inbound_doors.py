"""Inbound doors after an erasure, without the sandboxes: a Twenty hand edit of the erased
person is logged without its values; a Chatwoot contact with the erased phone matches no
one, not even another partner of the tenant holding the same number."""

from __future__ import annotations

import pytest

from apps.crm_plugin.twenty.inbound import on_person_updated
from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.crm_plugin.twenty.models import CrmConflict
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.plugin_manager.privacy.opening import open_request
from apps.support_plugin.chatwoot.partner_matching import match_partner
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

PHONE = "+36304440011"


@pytest.fixture
def erased(db: None) -> Partner:
    for plugin_id in ("support", "crm"):
        services.set_enabled(plugin_id, None, False)
    partner = PartnerFactory(name="Fehér Ilona", phone=PHONE, email="ilona@example.hu")
    open_request(partner, "erasure", requested_by="ügyfél", channel="email")
    partner.refresh_from_db()
    return partner


def test_a_twenty_hand_edit_of_the_erased_person_keeps_no_values(erased) -> None:
    delivery = InboundDelivery.objects.create(
        source="twenty", dedupe_key="d1", raw_body=b"{}", verification="ok",
        status=InboundDelivery.Status.RECEIVED, response_status=200)
    record = {"id": "8f1c0c9e-0000-4000-8000-000000000001",
              "kgcPartnerId": kgc_partner_id(erased.pk),
              "emails": {"primaryEmail": "ilona@example.hu"},
              "phones": {"primaryPhoneNumber": "304440011", "primaryPhoneCallingCode": "+36"},
              "updatedBy": {"source": "MANUAL", "name": "Valaki"}}
    on_person_updated(delivery, {"record": record, "updatedFields": ["emails", "phones"]})
    conflict = CrmConflict.objects.get()
    assert conflict.remote_values == {}
    assert "304440011" not in str(conflict.__dict__) and "ilona" not in str(conflict.__dict__)


def test_a_contact_with_the_erased_phone_matches_no_one(erased) -> None:
    PartnerFactory(tenant=erased.tenant, name="Fehér Géza", phone=PHONE)  # same family phone
    contact = {"id": 4242, "phone_number": PHONE, "email": None, "identifier": None}
    assert match_partner(erased.tenant, contact, 1) is None
