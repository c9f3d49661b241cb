"""Nightly reconciliation repairs drift made by hand in Twenty; the GDPR export reads
everything Twenty holds about a partner."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.crm_plugin.models import SyncRun
from apps.crm_plugin.twenty.gdpr_export import export_partner
from apps.crm_plugin.twenty.initial_sync import run_sync, start_run
from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.crm_plugin.twenty.reconcile import reconcile
from kgc_erp.rentals.services import return_rental
from tests.factories import PartnerFactory, start_rental

from .helpers import client_for, control, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(workspace):
    partners = PartnerFactory.create_batch(3)
    rentals = [return_rental(start_rental(p, days=2)) for p in partners]
    with client_for(workspace) as client:
        run_sync(client, start_run())
    return partners, rentals


def _person(handle, partner, deleted: bool | None = False) -> dict:
    key = kgc_partner_id(partner.pk)
    return next(p for p in rows(handle, "person", deleted=deleted) if p["kgcPartnerId"] == key)


def test_reconciliation_repairs_hand_edits_and_hand_deletes(workspace, synced) -> None:
    partners, rentals = synced
    edited, trashed = partners[0], partners[1]
    control(workspace, "PATCH", f"records/person/{_person(workspace, edited)['id']}",
            json={"data": {"totalRentals": 99, "name": {"firstName": "X", "lastName": "Y"}}})
    control(workspace, "DELETE", f"records/person/{_person(workspace, trashed)['id']}")
    record = next(r for r in rows(workspace, "rentalRecord")
                  if r["kgcRentalId"] == rentals[0].number)  # fmt: skip
    control(workspace, "DELETE", f"records/rentalRecord/{record['id']}?hard=1")
    partners[2].is_active = False  # deactivated while the pipeline was down
    partners[2].save()

    with client_for(workspace) as client:
        run = reconcile(client)
    assert run.status == SyncRun.Status.SUCCEEDED
    # 2 people re-upserted + 1 trashed + 1 rental record re-created.
    assert run.repaired == 4
    fixed = _person(workspace, edited)
    assert fixed["totalRentals"] == 1 and fixed["name"]["lastName"] == edited.name.split()[0]
    assert _person(workspace, trashed)["deletedAt"] is None  # restored
    assert _person(workspace, partners[2], deleted=True)  # trashed: no longer active
    restored = [r for r in rows(workspace, "rentalRecord")
                if r["kgcRentalId"] == rentals[0].number]  # fmt: skip
    assert len(restored) == 1 and restored[0]["personId"] == fixed["id"]

    with client_for(workspace) as client:
        again = reconcile(client)
    assert again.repaired == 0  # converged


def test_gdpr_export_holds_the_person_and_its_records(workspace, synced, enable_crm,
                                                      settings) -> None:  # fmt: skip
    partners, rentals = synced
    with client_for(workspace) as client:
        document = export_partner(client, partners[0].pk)
    assert document["kgcPartnerId"] == kgc_partner_id(partners[0].pk)
    assert document["person"]["id"] == _person(workspace, partners[0])["id"]
    assert [r["kgcRentalId"] for r in document["rentalRecords"]] == [rentals[0].number]
    assert document["serviceRecords"] == [] and document["salesRecords"] == []

    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    out = StringIO()
    call_command("crm_gdpr_export", str(partners[0].pk), stdout=out)
    assert json.loads(out.getvalue())["person"]["kgcPartnerId"] == kgc_partner_id(partners[0].pk)
