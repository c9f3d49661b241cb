"""The integrations dashboard from the sidebar: every chart drawn by Chart.js, no console
errors, and a chart's link leading to the filtered delivery list."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.plugin_manager.eventbus.models import Delivery, Event
from apps.plugin_manager.models import HealthCheckRecord, PluginActionRun
from kgc_erp.tenants.models import Tenant

# Every chart of the page: the event bus's five, the action runs, one health history per
# installed plugin (crm and support at least).
MIN_CHARTS = 8


def seed_figures() -> None:
    tenant = Tenant.objects.order_by("pk").first()
    assert tenant is not None
    event = Event.objects.create(type="partner.created", tenant=tenant)
    for status, error in (("succeeded", ""), ("dead", "HTTP 410: gone"), ("pending", "")):
        Delivery.objects.create(event=event, tenant=tenant, subscriber="crm", status=status,
                                last_error=error)  # fmt: skip
    HealthCheckRecord.objects.create(plugin_id="crm", status="healthy", latency_ms=12,
                                     checked_at=timezone.now())  # fmt: skip
    PluginActionRun.objects.create(plugin_id="crm", action="initial_sync", status="running",
                                   progress_current=3, progress_total=10)  # fmt: skip


def test_the_dashboard_draws_every_chart_and_links_to_the_lists(
    admin_page: Page, base_url: str
) -> None:
    seed_figures()
    sidebar = admin_page.locator("#nav-sidebar-inner")
    sidebar.get_by_role("link", name="Integrációk áttekintése").click()
    expect(admin_page.locator("h1, h2").filter(has_text="Eseménybusz").first).to_be_visible()
    canvases = admin_page.locator("[data-chart] canvas")
    assert canvases.count() >= MIN_CHARTS
    drawn = admin_page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-chart] canvas'))"
        ".map(c => Boolean(window.Chart && Chart.getChart(c)) && c.width > 0)"
    )
    assert drawn == [True] * canvases.count()

    admin_page.locator('[data-chart="deliveries-per-subscriber"]').get_by_role(
        "link", name="crm: 1 halott").click()
    assert "status__exact=dead" in admin_page.url and "subscriber=crm" in admin_page.url
    expect(admin_page.locator("#result_list")).to_contain_text("HTTP 410: gone")

    # The event bus overview is in the sidebar too (before: only a button on the list).
    sidebar.get_by_role("link", name="Eseménybusz áttekintés").click()
    expect(admin_page.locator("body")).to_contain_text("Kézbesítések állapot szerint")
