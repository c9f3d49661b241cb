"""Partner -> Chatwoot contact through the real pipeline: signal -> outbox -> Celery
worker subprocess -> handler -> Chatwoot sandbox."""

from __future__ import annotations

from apps.plugin_manager.eventbus.external_refs import find_ref
from apps.plugin_manager.eventbus.models import SyncStatus
from kgc_erp.partners.services import erase_partner
from sandboxes.chatwoot import SandboxHandle
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for

from .helpers import account_api, contacts_in


def _contact_of(handle: SandboxHandle, partner_id: int) -> dict | None:
    return next((c for c in contacts_in(handle) if c["identifier"] == str(partner_id)), None)


def test_create_update_erase_partner_follows_in_chatwoot(worker, connected, chatwoot) -> None:
    # given a tenant connected to the sandbox, when a partner is created
    partner = PartnerFactory(tenant=connected, name="Nagy Eszter", phone="+36301234567",
                             email="nagy.eszter@example.hu", tax_number="12345678-1-42")
    contact = wait_for(lambda: _contact_of(chatwoot, partner.pk), message="contact created")
    # then the contact carries the mapped data and never the tax number
    assert contact["name"] == "Nagy Eszter"
    assert contact["phone_number"] == "+36301234567"
    assert contact["email"] == "nagy.eszter@example.hu"
    assert contact["custom_attributes"]["kgc_partner_id"] == partner.pk
    assert contact["custom_attributes"]["kgc_tenant"] == connected.slug
    assert "12345678" not in str(contact)

    # when the partner is updated
    partner.name = "Nagy Eszter Katalin"
    partner.save()
    wait_for(lambda: (_contact_of(chatwoot, partner.pk) or {}).get("name")
             == "Nagy Eszter Katalin", message="contact updated")
    assert len(contacts_in(chatwoot)) == 1

    # when the partner is erased (GDPR), the contact is deleted
    erase_partner(partner)
    wait_for(lambda: _contact_of(chatwoot, partner.pk) is None, message="contact deleted")
    ref = find_ref("chatwoot", tenant=connected, obj=partner)
    wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner).sync_status
             == SyncStatus.DELETED, message="link marked deleted")
    assert ref.external_id == str(contact["id"])


def test_pre_existing_contact_with_same_phone_is_adopted(worker, connected, chatwoot) -> None:
    # given Chatwoot already knows the customer by phone (e.g. from WhatsApp)
    existing = account_api(chatwoot, "POST", "/contacts",
                   json={"name": "Eszter WhatsApp", "phone_number": "+36309998877"})
    existing_id = existing["payload"]["contact"]["id"]
    # when the ERP creates the partner
    partner = PartnerFactory(tenant=connected, name="Kiss Eszter", phone="+36 30 999 8877",
                             email="kiss.eszter@example.hu")
    # then the existing contact is adopted and updated, not duplicated
    wait_for(lambda: (_contact_of(chatwoot, partner.pk) or {}).get("id") == existing_id,
             message="contact adopted")
    assert len(contacts_in(chatwoot)) == 1
    assert _contact_of(chatwoot, partner.pk)["name"] == "Kiss Eszter"
    ref = wait_for(lambda: find_ref("chatwoot", tenant=connected, obj=partner), message="link")
    assert ref.external_id == str(existing_id)
