"""Switching a tenant's CRM backend from Twenty to Krayin and back: every event is
handled by exactly one backend (the one selected when its delivery runs), the new backend
catches up by itself (Krayin: the tenant's initial sync; Twenty: the tenant's
reconciliation), nothing is lost and nothing is duplicated."""

from __future__ import annotations

import pytest

from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.services import return_rental
from tests.crm_plugin.twenty.conftest import (  # noqa: F401 - the Twenty sandbox fixtures
    enable_crm,
    twenty,
    twenty_server,
    workspace,
)
from tests.crm_plugin.twenty.helpers import rows as twenty_rows
from tests.factories import PartnerFactory, TenantFactory, headquarters, start_rental
from tests.infrastructure.waiting import wait_for

from .helpers import (
    EMAIL,
    PASSWORD,
    activities_of,
    all_crm_deliveries_finished,
    crm_deliveries,
    person_of,
    persons,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _twenty_people(handle, partner_pk: int) -> list[dict]:
    key = kgc_partner_id(partner_pk)
    return [p for p in twenty_rows(handle, "person", deleted=None) if p.get("kgcPartnerId") == key]


def _settled(count: int) -> bool:
    return len(crm_deliveries()) >= count and all_crm_deliveries_finished()


def _catch_up_finished(action: str) -> PluginActionRun | None:
    return PluginActionRun.objects.filter(
        plugin_id="crm", action=action, status__in=(PluginActionRun.Status.SUCCEEDED,
                                                    PluginActionRun.Status.FAILED),
    ).first()  # fmt: skip


def test_switching_to_krayin_and_back_loses_and_duplicates_nothing(
    worker, workspace, krayin, enable_crm, settings  # noqa: F811
) -> None:
    settings.CRM_SYNC_ON_ENABLE = False  # no global Twenty initial sync on enabling
    enable_crm(workspace)  # Twenty for everyone (global scope)
    hq = headquarters()
    services.update_settings("crm", hq, {"krayin_api_url": krayin.api_url,
                                         "krayin_email": EMAIL, "krayin_password": PASSWORD})

    partner = PartnerFactory(name="Váltó Vilma", email="vilma@example.hu")
    others = [PartnerFactory(name="Régi Név"), PartnerFactory(is_business=True,
                                                                 company="Váltó Kft.")]
    rental = return_rental(start_rental(others[0], days=1))
    wait_for(lambda: _settled(4), message="the Twenty deliveries")  # 3 partners, 1 rental
    seen = len(crm_deliveries())
    assert len(_twenty_people(workspace, partner.pk)) == 1 and persons(krayin) == []

    # Switched to Krayin: its initial sync starts by itself and brings every partner of
    # the tenant (and its history) once; the change made meanwhile goes to Krayin only.
    settings.CRM_SYNC_ON_ENABLE = True
    services.update_settings("crm", hq, {"crm_backend": "krayin"})
    partner.email = "vilma.uj@example.hu"
    partner.save()
    sync = wait_for(lambda: _catch_up_finished("krayin_initial_sync"), timeout=60,
                    message="the automatic Krayin initial sync")
    assert sync.status == PluginActionRun.Status.SUCCEEDED, sync.message
    assert sync.tenant == hq
    wait_for(lambda: _settled(seen + 1), message="the Krayin delivery")
    active = Partner.objects.filter(is_active=True, tenant=hq)
    assert len(persons(krayin)) == active.count() == 3
    for each in active:
        assert person_of(krayin, each.pk) is not None
    person = person_of(krayin, partner.pk)
    assert person is not None and person["emails"][0]["value"] == "vilma.uj@example.hu"
    renter = person_of(krayin, others[0].pk)
    assert renter is not None
    titles = [a["title"] for a in activities_of(krayin, renter["id"])]
    assert sum(rental.number in t for t in titles) == 1
    # Not also sent to Twenty: its person still has the old address.
    (twenty_person,) = _twenty_people(workspace, partner.pk)
    assert twenty_person["emails"]["primaryEmail"] == "vilma@example.hu"
    others[0].name = "Új Név"
    others[0].save()
    wait_for(lambda: _settled(seen + 2), message="the second Krayin delivery")
    assert (person_of(krayin, others[0].pk) or {}).get("name") == "Új Név"

    # Back to Twenty: its reconciliation of the tenant starts by itself and brings what
    # changed while the tenant was on Krayin, without anyone saving the partners again.
    services.update_settings("crm", hq, {"crm_backend": "twenty"})
    reconciled = wait_for(lambda: _catch_up_finished("reconcile"), timeout=60,
                          message="the automatic Twenty reconciliation")
    assert reconciled.status == PluginActionRun.Status.SUCCEEDED, reconciled.message
    assert reconciled.tenant == hq
    (twenty_person,) = _twenty_people(workspace, partner.pk)
    assert twenty_person["emails"]["primaryEmail"] == "vilma.uj@example.hu"
    (renamed,) = _twenty_people(workspace, others[0].pk)
    assert renamed["name"]["lastName"] == "Új"
    assert len(_twenty_people(workspace, others[1].pk)) == 1
    # One catch-up per switch, each on its own backend.
    assert sorted(PluginActionRun.objects.values_list("action", flat=True)) == [
        "krayin_initial_sync", "reconcile"]

    partner.name = "Váltó Vilma Anna"
    partner.save()
    wait_for(lambda: _settled(seen + 3), message="the Twenty delivery after switching back")
    (twenty_person,) = _twenty_people(workspace, partner.pk)  # updated, not duplicated
    assert twenty_person["emails"]["primaryEmail"] == "vilma.uj@example.hu"
    assert twenty_person["name"]["lastName"] == "Váltó"
    assert len(persons(krayin)) == 3
    assert (person_of(krayin, partner.pk) or {}).get("name") == "Váltó Vilma"  # untouched
    assert {d.status for d in crm_deliveries()} == {Delivery.Status.SUCCEEDED}


def test_a_tenant_switching_the_crm_on_alone_with_krayin_gets_its_initial_sync(
    worker, krayin, enable_krayin, settings
) -> None:
    store = TenantFactory(name="Soproni bolt", slug="sopron")
    mine = [PartnerFactory(tenant=store) for _ in range(3)]
    other = PartnerFactory()  # headquarters: its CRM stays off
    settings.CRM_SYNC_ON_ENABLE = True
    enable_krayin(krayin, tenant=store)
    sync = wait_for(lambda: _catch_up_finished("krayin_initial_sync"), timeout=60,
                    message="the automatic Krayin initial sync")
    assert sync.status == PluginActionRun.Status.SUCCEEDED, sync.message
    assert sync.tenant == store
    assert len(persons(krayin)) == 3
    assert all(person_of(krayin, p.pk) is not None for p in mine)
    assert person_of(krayin, other.pk) is None
    assert list(PluginActionRun.objects.values_list("action", flat=True)) == [
        "krayin_initial_sync"]  # one catch-up, not one per setting stored
