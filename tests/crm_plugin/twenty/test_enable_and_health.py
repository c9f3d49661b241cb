"""Switching the plugin on bootstraps the schema and runs the initial sync on the worker;
the health check answers through the plugin manager."""

from __future__ import annotations

import pytest

from apps.crm_plugin.models import SyncRun
from apps.crm_plugin.twenty.health import check
from apps.plugin_manager.status import HealthStatus
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for

from .helpers import API_KEY, control, rows

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_enabling_the_plugin_bootstraps_and_syncs_everything(worker, twenty, enable_crm) -> None:
    partners = PartnerFactory.create_batch(3)
    assert control(twenty, "GET", "state")["customModel"]["customObjects"] == []
    enable_crm(twenty)  # plugin_toggled -> bootstrap_and_sync on the worker
    run = wait_for(lambda: SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).first(),
                   message="the initial sync")  # fmt: skip
    assert run.records_sent == 3
    state = control(twenty, "GET", "state")
    assert set(state["customModel"]["customObjects"]) == {"rentalRecord", "serviceRecord",
                                                          "salesRecord"}  # fmt: skip
    keys = {p["kgcPartnerId"] for p in rows(twenty, "person")}
    assert keys >= {f"KGC-{p.pk:06d}" for p in partners}


def test_health_check(twenty) -> None:
    good = check({"crm_api_url": twenty.url, "crm_api_key": API_KEY})
    assert good.status == HealthStatus.HEALTHY and good.latency_ms is not None
    bad = check({"crm_api_url": twenty.url, "crm_api_key": "wrong"})
    assert bad.status == HealthStatus.DOWN and "UNAUTHENTICATED" in bad.error
