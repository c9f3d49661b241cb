"""Initial sync: batches of <= 60, resumable from its checkpoint without sending any
record twice, progress on the run and the plugin action, and the command's progress bar."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.crm_plugin.models import SyncRun
from apps.crm_plugin.twenty.initial_sync import SyncInterrupted, resumable_run, run_sync, start_run
from apps.plugin_manager.actions import start_action
from apps.plugin_manager.models import PluginActionRun
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.rentals.services import return_rental
from tests.factories import PartnerFactory, start_rental

from .helpers import client_for, control, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp() -> dict[str, list]:
    partners = PartnerFactory.create_batch(125)
    inactive = PartnerFactory(is_active=False)
    rentals = [return_rental(start_rental(partners[i % 10], days=1)) for i in range(65)]
    old = return_rental(start_rental(partners[0], days=1))
    Rental.objects.filter(pk=old.pk).update(returned_at=timezone.now() - dt.timedelta(days=400))
    return {"partners": partners, "inactive": [inactive], "rentals": rentals}


def _keys(handle, name: str, field: str) -> Counter:
    return Counter(r[field] for r in rows(handle, name, deleted=None))


def test_interrupted_and_resumed_sync_sends_every_record_once(workspace, erp) -> None:
    run = start_run()
    assert run.total == 125 + 65  # active partners + 12 months of completed rentals
    with client_for(workspace) as client, pytest.raises(SyncInterrupted):
        run_sync(client, run, should_stop=lambda r: r.done >= 120)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.INTERRUPTED
    assert (run.phase, run.done, run.calls) == (SyncRun.Phase.PEOPLE, 120, 2)
    assert resumable_run() == run

    # One "Limit reached" on the way: the batch waits for a token and is sent again.
    control(workspace, "POST", "faults", json={"mode": "limit", "count": 1})
    seen: list[int] = []
    with client_for(workspace) as client:
        run_sync(client, resumable_run(), progress=lambda r: seen.append(r.done))
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and run.phase == SyncRun.Phase.DONE
    assert run.done == run.total == run.records_sent == 190
    # 125 people in 3 batches, 65 rentals in 2: 5 mutations, + the throttled attempt.
    assert run.calls == 6
    assert seen[-1] == 190 and seen == sorted(seen)

    people = _keys(workspace, "person", "kgcPartnerId")
    assert len(people) == 125 and set(people.values()) == {1}
    assert f"KGC-{erp['inactive'][0].pk:06d}" not in people
    records = _keys(workspace, "rentalRecord", "kgcRentalId")
    assert set(records) == {r.number for r in erp["rentals"]} and set(records.values()) == {1}
    requests = control(workspace, "GET", "requests")["requests"]
    assert all(r.get("operationName") != "UpsertPeople" or not r.get("error_codes")
               or r.get("fault") == "limit" for r in requests)  # fmt: skip


def test_the_command_shows_progress_and_resumes(workspace, enable_crm, settings, erp) -> None:
    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    workspace.sandbox.reset()  # the data model is gone: the upserts fail validation (dead)
    err, out = StringIO(), StringIO()
    with pytest.raises(Exception, match="resume with --resume"):
        call_command("crm_initial_sync", stdout=out, stderr=err)
    failed = SyncRun.objects.get()
    assert failed.status == SyncRun.Status.FAILED and failed.done == 0

    call_command("crm_bootstrap_schema", stdout=out)
    call_command("crm_initial_sync", "--resume", stdout=out, stderr=err)
    failed.refresh_from_db()
    assert failed.status == SyncRun.Status.SUCCEEDED
    assert SyncRun.objects.count() == 1  # resumed, not restarted
    assert "190/190" in err.getvalue()  # the tqdm bar
    assert "190 records in" in out.getvalue()
    assert len(_keys(workspace, "person", "kgcPartnerId")) == Partner.objects.filter(
        is_active=True).count()  # fmt: skip


def test_the_admin_action_records_progress(workspace, enable_crm, settings, erp) -> None:
    from apps.crm_plugin.twenty.tasks import initial_sync_action

    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    action = start_action("crm", None, "initial_sync")
    initial_sync_action(tenant_id=None, run_id=action.pk)  # what the worker runs
    action.refresh_from_db()
    assert action.status == PluginActionRun.Status.SUCCEEDED
    assert (action.progress_current, action.progress_total) == (190, 190)
    assert SyncRun.objects.get().action_run == action
