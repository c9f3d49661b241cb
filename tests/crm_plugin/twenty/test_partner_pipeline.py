"""Partner -> person through the real pipeline: post_save -> outbox -> a real Celery
worker -> the handler -> the Twenty sandbox."""

from __future__ import annotations

import pytest

from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.plugin_manager.eventbus.models import Delivery
from kgc_erp.partners.services import erase_partner
from kgc_erp.rentals.services import return_rental
from tests.factories import PartnerFactory, start_rental
from tests.infrastructure.waiting import wait_for

from .helpers import all_crm_deliveries_finished, crm_deliveries, rows

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _person(handle, partner_pk: int, *, deleted: bool | None = False) -> dict | None:
    key = kgc_partner_id(partner_pk)
    return next((p for p in rows(handle, "person", deleted=deleted)
                 if p.get("kgcPartnerId") == key), None)  # fmt: skip


@pytest.fixture
def crm(worker, workspace, enable_crm, settings):
    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    return workspace


def test_partner_create_update_deactivate_reactivate_and_gdpr_erasure(crm) -> None:
    partner = PartnerFactory(name="Kovács János", email="janos@example.hu",
                             phone="+36 30 123 4567", tax_number="12345678-2-42")  # fmt: skip
    person = wait_for(lambda: _person(crm, partner.pk), message="the person")
    assert person["name"] == {"firstName": "János", "lastName": "Kovács"}
    assert person["emails"]["primaryEmail"] == "janos@example.hu"
    assert person["phones"]["primaryPhoneNumber"] == "301234567"
    assert person["phones"]["primaryPhoneCallingCode"] == "+36"
    assert person["kgcTenant"] == "kgc-hq" and person["paymentStatus"] == "GOOD"
    assert "12345678" not in str(person)

    partner.email = "kovacs.janos@example.hu"
    partner.save()
    wait_for(lambda: (_person(crm, partner.pk) or {}).get("emails", {}).get("primaryEmail")
             == "kovacs.janos@example.hu", message="the update")  # fmt: skip

    partner.is_active = False
    partner.save()
    trashed = wait_for(lambda: _person(crm, partner.pk, deleted=True), message="the soft delete")
    assert trashed["id"] == person["id"]

    partner.is_active = True
    partner.save()
    restored = wait_for(lambda: _person(crm, partner.pk), message="the restore")
    assert restored["id"] == person["id"]  # the upsert restored the same row

    rental = start_rental(partner)
    return_rental(rental)
    wait_for(lambda: [r for r in rows(crm, "rentalRecord") if r["kgcRentalId"] == rental.number],
             message="the rental record")  # fmt: skip

    erase_partner(partner)
    wait_for(lambda: _person(crm, partner.pk, deleted=None) is None, message="the GDPR destroy")
    assert rows(crm, "rentalRecord", deleted=None) == []  # the person's records went too
    wait_for(all_crm_deliveries_finished, message="every CRM delivery")
    statuses = {(d.event.type, d.status, d.last_error) for d in crm_deliveries()}
    assert {status for _, status, _ in statuses} == {Delivery.Status.SUCCEEDED}, statuses


def test_a_business_partner_becomes_a_company_with_its_contact_person(crm) -> None:
    partner = PartnerFactory(name="Szabó Péter", company="Építő Kft.", is_business=True,
                             email="peter@epito.hu")
    person = wait_for(lambda: _person(crm, partner.pk), message="the person")
    assert person["name"] == {"firstName": "Péter", "lastName": "Szabó"}
    companies = [c for c in rows(crm, "company") if c["id"] == person["companyId"]]
    assert [c["name"] for c in companies] == ["Építő Kft."]

    partner.company = "Építő és Társa Kft."
    partner.save()  # the same company, renamed: never a second one
    wait_for(lambda: all_crm_deliveries_finished(), message="the update")
    names = [c["name"] for c in rows(crm, "company") if c["id"] == person["companyId"]]
    assert names == ["Építő és Társa Kft."]
    assert len(rows(crm, "company")) == 1

    erase_partner(partner)
    # The person goes first, then its company (the same delivery): wait for both.
    wait_for(lambda: _person(crm, partner.pk, deleted=None) is None
             and rows(crm, "company", deleted=None) == [], message="the erasure")
