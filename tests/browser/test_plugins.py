"""The Plugins page ("Bővítmények"): switching a plugin off and on for one tenant, the
connection test, and the initial sync with its progress, against the Twenty sandbox and
the session's Celery worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from apps.plugin_manager import services
from apps.plugin_manager.models import PluginActionRun
from apps.plugin_manager.runtime import is_enabled
from kgc_erp.tenants.models import Tenant
from sandboxes.twenty.server import SandboxHandle, start_sandbox
from tests.factories import PartnerFactory, TenantFactory
from tests.infrastructure.processes import WorkerSupervisor

API_KEY = "browser-test-api-key"
RATE_LIMIT = 100_000  # the sandbox must never throttle these tests
PLUGINS_URL = "/admin/plugin_manager/pluginstate/"
SYNC_LABEL = "Kezdeti szinkron a Twenty CRM-be (folytatható)"


@pytest.fixture
def twenty() -> Iterator[SandboxHandle]:
    """A Twenty sandbox with our data model already in place."""
    handle = start_sandbox(api_key=API_KEY, bootstrap=True, calls_per_minute=RATE_LIMIT,
                           calls_per_second=RATE_LIMIT)  # fmt: skip
    yield handle
    handle.stop()


@pytest.fixture
def crm_on(settings: Any, twenty: SandboxHandle) -> SandboxHandle:
    """The CRM plugin switched on globally and pointed at the sandbox; the sync is left to
    the page (switching on would otherwise start it by itself)."""
    settings.CRM_SYNC_ON_ENABLE = False
    services.update_settings("crm", None, {
        "crm_api_url": twenty.url, "crm_api_key": API_KEY,
        "crm_webhook_secret": "browser-test-secret", "crm_rate_limit_per_minute": RATE_LIMIT,
    })  # fmt: skip
    services.set_enabled("crm", None, True)
    return twenty


@pytest.fixture
def tenant(transactional_db: None) -> Tenant:
    return TenantFactory(slug="franchise-gyor", name="Győr")


def switch(page: Page, scope_row: str, button: str, confirm: str) -> None:
    page.locator(scope_row).get_by_role("link", name=button, exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name=confirm).click()


def test_switch_a_plugin_off_and_on_for_a_tenant(
    admin_page: Page, base_url: str, crm_on: SandboxHandle, tenant: Tenant
) -> None:
    admin_page.get_by_role("link", name="Bővítmények").first.click()
    assert admin_page.url == base_url + PLUGINS_URL
    row = f'section[data-plugin="crm"] tr[data-scope="t-{tenant.slug}"]'
    expect(admin_page.locator(row)).to_contain_text("Bekapcsolva")

    switch(admin_page, row, "Kikapcsolás", "Igen, kikapcsolás")
    expect(admin_page.locator("body")).to_contain_text("kikapcsolva (Győr)")
    expect(admin_page.locator(row)).to_contain_text("Kikapcsolva")
    assert not is_enabled("crm", tenant.pk) and is_enabled("crm", None)

    switch(admin_page, row, "Bekapcsolás", "Igen, bekapcsolás")
    expect(admin_page.locator("body")).to_contain_text("bekapcsolva (Győr)")
    expect(admin_page.locator(row)).to_contain_text("Bekapcsolva")
    assert is_enabled("crm", tenant.pk)


def test_connection_test_and_initial_sync_with_progress(
    admin_page: Page, base_url: str, crm_on: SandboxHandle, celery_worker: WorkerSupervisor
) -> None:
    PartnerFactory.create_batch(5)
    admin_page.goto(f"{base_url}{PLUGINS_URL}crm/global/")
    admin_page.get_by_role("button", name="Kapcsolat tesztelése").click()
    expect(admin_page.locator("body")).to_contain_text(
        re.compile(r"Kapcsolat tesztelése — .*: Működik, \d+ ms"))

    admin_page.get_by_role("link", name=SYNC_LABEL).click()
    with admin_page.expect_navigation():
        admin_page.get_by_role("button", name="Igen, indítás").click()
    expect(admin_page.locator("body")).to_contain_text(f"„{SYNC_LABEL}” elindítva")
    run = PluginActionRun.objects.get(plugin_id="crm", action="initial_sync")
    row = admin_page.locator(f'tr[data-run="{run.pk}"]')
    # The page polls the run every 2 s: the row ends finished, every record counted.
    expect(row.locator("[data-role=status]")).to_have_text("Sikeres", timeout=30_000)
    expect(row.locator("[data-role=count]")).to_have_text(re.compile(r"^(\d+) / \1$"))
    expect(row.locator("[data-role=bar]")).to_have_attribute("style", re.compile("100%"))
    run.refresh_from_db()
    assert run.progress_total is not None and run.progress_current == run.progress_total >= 5
