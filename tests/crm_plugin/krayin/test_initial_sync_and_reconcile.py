"""Initial sync (resumable, no duplicates on resume) and the nightly reconciliation task,
which must also reach a tenant that switched the CRM on for itself alone."""

from __future__ import annotations

import pytest

from apps.crm_plugin.krayin import initial_sync as sync_module
from apps.crm_plugin.krayin.initial_sync import SyncInterrupted, run_sync, start_run
from apps.crm_plugin.krayin.mappers import SUMMARY_TITLE
from apps.crm_plugin.models import SyncRun
from apps.crm_plugin.tasks import nightly_reconcile
from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.plugin_manager import services
from kgc_erp.rentals.services import return_rental
from tests.crm_plugin.twenty.conftest import (  # noqa: F401 - the Twenty sandbox fixtures
    twenty,
    twenty_server,
    workspace,
)
from tests.crm_plugin.twenty.helpers import API_KEY
from tests.crm_plugin.twenty.helpers import rows as twenty_rows
from tests.factories import PartnerFactory, TenantFactory, headquarters, start_rental

from .helpers import activities_of, api, client_for, person_of, persons

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _notes(handle, person_id: int) -> list[str]:
    return sorted(str(a["title"]) for a in activities_of(handle, person_id))


def test_initial_sync_resumes_without_duplicates(krayin, monkeypatch) -> None:
    monkeypatch.setattr(sync_module, "BATCH_SIZE", 3)
    partners = [PartnerFactory() for _ in range(7)]
    rentals = [start_rental(partners[i]) for i in range(2)]
    for rental in rentals:
        return_rental(rental)
    run = start_run(headquarters())
    assert run.total == 9
    with client_for(krayin) as client:
        with pytest.raises(SyncInterrupted):
            run_sync(client, run, should_stop=lambda r: r.done >= 3)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.INTERRUPTED and run.done == 3
        run_sync(client, run)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and run.done == 9 and run.calls > 0
    assert len(persons(krayin)) == 7
    first = person_of(krayin, partners[0].pk)
    assert first is not None
    titles = _notes(krayin, first["id"])
    assert titles.count(SUMMARY_TITLE) == 1
    assert sum(rentals[0].number in t for t in titles) == 1
    # A second full run (an operator starting it again) duplicates nothing.
    with client_for(krayin) as client:
        run_sync(client, start_run(headquarters()))
    assert len(persons(krayin)) == 7
    assert _notes(krayin, first["id"]) == titles


def test_nightly_task_reconciles_a_tenant_that_enabled_the_crm_alone(
    krayin, enable_krayin, settings
) -> None:
    settings.CRM_SYNC_ON_ENABLE = False
    store = TenantFactory(name="Győri bolt", slug="gyor")
    enable_krayin(krayin, tenant=store)  # the global switch stays off
    kept, edited, gone = (PartnerFactory(tenant=store) for _ in range(3))
    other = PartnerFactory()  # headquarters: CRM off there
    nightly_reconcile()
    run = SyncRun.objects.get(kind=SyncRun.Kind.RECONCILE)
    assert (run.backend, run.tenant_id, run.status) == ("krayin", store.pk, "succeeded")
    assert {p.pk for p in (kept, edited, gone)} == {
        pk for pk in (kept.pk, edited.pk, gone.pk) if person_of(krayin, pk)}
    assert person_of(krayin, other.pk) is None

    # Drift: a person renamed by hand, one deleted, an aggregates note edited.
    person = person_of(krayin, edited.pk)
    assert person is not None
    api(krayin, "PUT", f"contacts/persons/{person['id']}", json={
        "name": "Kézzel átírva", "emails": person["emails"],
        "contact_numbers": person["contact_numbers"], "user_id": None})  # fmt: skip
    deleted = person_of(krayin, gone.pk)
    assert deleted is not None
    api(krayin, "DELETE", f"contacts/persons/{deleted['id']}")
    nightly_reconcile()
    latest = SyncRun.objects.filter(kind=SyncRun.Kind.RECONCILE).latest("id")
    assert latest.repaired >= 2
    assert (person_of(krayin, edited.pk) or {}).get("name") == edited.name
    restored = person_of(krayin, gone.pk)
    assert restored is not None
    assert _notes(krayin, restored["id"]).count(SUMMARY_TITLE) == 1
    assert len(persons(krayin)) == 3


def test_nightly_task_reconciles_twenty_for_a_tenant_that_enabled_it_alone(
    workspace, settings  # noqa: F811
) -> None:
    settings.CRM_SYNC_ON_ENABLE = False
    # One Twenty workspace for the company: its connection is global, the switch is not.
    services.update_settings("crm", None, {"crm_api_url": workspace.url, "crm_api_key": API_KEY,
                                           "crm_rate_limit_per_minute": 100_000})
    store = TenantFactory(name="Pécsi bolt", slug="pecs")
    services.set_enabled("crm", store, True)
    mine, other = PartnerFactory(tenant=store), PartnerFactory()
    nightly_reconcile()
    people = {p.get("kgcPartnerId") for p in twenty_rows(workspace, "person")}
    assert kgc_partner_id(mine.pk) in people
    assert kgc_partner_id(other.pk) not in people  # headquarters has the CRM off
    run = SyncRun.objects.get(kind=SyncRun.Kind.RECONCILE)
    assert (run.backend, run.status) == ("twenty", "succeeded")


def test_the_twenty_global_sync_and_reconciliation_leave_a_krayin_tenant_alone(
    workspace, krayin, enable_krayin, settings  # noqa: F811
) -> None:
    from apps.crm_plugin.twenty import initial_sync as twenty_sync
    from apps.crm_plugin.twenty.tasks import reconcile_action
    from apps.plugin_manager.models import PluginActionRun
    from tests.crm_plugin.twenty.helpers import client_for as twenty_client_for

    settings.CRM_SYNC_ON_ENABLE = False
    store = TenantFactory(name="Debreceni bolt", slug="debrecen")
    ours, theirs = PartnerFactory(), PartnerFactory(tenant=store)
    our_rental = return_rental(start_rental(ours, days=1))
    their_rental = return_rental(start_rental(theirs, days=1))
    # Everything exists before the switches: no delivery is queued by this test.
    services.update_settings("crm", None, {"crm_api_url": workspace.url, "crm_api_key": API_KEY,
                                           "crm_rate_limit_per_minute": 100_000})
    services.set_enabled("crm", None, True)  # Twenty for the company
    enable_krayin(krayin, tenant=store)  # ... but this store is on Krayin

    run = twenty_sync.start_run()
    assert run.total == 2  # our partner and our rental only
    with twenty_client_for(workspace) as client:
        twenty_sync.run_sync(client, run)
    people = {p.get("kgcPartnerId") for p in twenty_rows(workspace, "person")}
    assert people == {kgc_partner_id(ours.pk)}
    rentals = {r.get("kgcRentalId") for r in twenty_rows(workspace, "rentalRecord")}
    assert rentals == {our_rental.number} and their_rental.number not in rentals

    # A Krayin tenant's unfinished run is not the Twenty run to resume.
    with client_for(krayin) as client, pytest.raises(SyncInterrupted):
        run_sync(client, start_run(store), should_stop=lambda r: True)
    assert twenty_sync.resumable_run() is None

    # The reconciliation started on the global scope covers the Twenty tenants only.
    action = PluginActionRun.objects.create(plugin_id="crm", action="reconcile")
    reconcile_action(tenant_id=None, run_id=action.pk)  # what the worker runs
    action.refresh_from_db()
    assert action.status == PluginActionRun.Status.SUCCEEDED, action.message
    people = {p.get("kgcPartnerId") for p in twenty_rows(workspace, "person")}
    assert people == {kgc_partner_id(ours.pk)}
