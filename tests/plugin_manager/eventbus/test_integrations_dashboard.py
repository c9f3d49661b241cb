"""The integrations dashboard: one chart per figure, links to the filtered lists, a fixed
number of queries, tenant scoping, and its place in the sidebar."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.plugin_manager.eventbus.models import Delivery, Event, InboundDelivery
from apps.plugin_manager.models import HealthCheckRecord, PluginActionRun
from kgc_erp.tenants.models import StaffMembership, Tenant
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

URL_NAME = "admin:eventbus_integrations_dashboard"


def _deliveries(tenant: Tenant, subscriber: str, status: str, n: int, error: str = "") -> None:
    event = Event.objects.create(type="partner.created", tenant=tenant)
    Delivery.objects.bulk_create(
        Delivery(event=event, tenant=tenant, subscriber=subscriber, status=status,
                 last_error=error, created_at=timezone.now() - dt.timedelta(hours=2))
        for _ in range(n)
    )  # fmt: skip


@pytest.fixture
def figures(tenant: Tenant) -> None:
    _deliveries(tenant, "crm", "succeeded", 3)
    _deliveries(tenant, "crm", "dead", 2, error="HTTP 410: gone")
    _deliveries(tenant, "support", "pending", 4, error="Időtúllépés")
    InboundDelivery.objects.create(
        source="chatwoot", tenant=tenant, dedupe_key="id:1", verification="ok",
        status="processed", response_status=200, raw_body=b"{}")  # fmt: skip
    HealthCheckRecord.objects.create(plugin_id="crm", status="down", error="x",
                                     checked_at=timezone.now())  # fmt: skip
    PluginActionRun.objects.create(plugin_id="crm", action="initial_sync", status="running",
                                   progress_current=30, progress_total=120)  # fmt: skip


def _charts(html: str) -> dict[str, dict[str, Any]]:
    """Chart key -> its Chart.js data, as the page carries them."""
    found = {}
    for key, section in re.findall(r'data-chart="([^"]+)"(.*?)</section>', html, re.S):
        value = re.search(r'data-value="([^"]*)"', section)
        assert value is not None, key
        found[key] = json.loads(value.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return found


def test_every_figure_is_a_chart_with_links_to_the_lists(
    admin_client: Client, figures: None, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(25):
        page = admin_client.get(reverse(URL_NAME))
    assert page.status_code == 200
    html = page.content.decode()
    charts = _charts(html)
    assert {"deliveries-per-hour", "deliveries-per-subscriber", "backlog", "failure-reasons",
            "inbound-per-source", "action-runs", "health-crm"} <= set(charts)  # fmt: skip
    per_subscriber = charts["deliveries-per-subscriber"]
    assert per_subscriber["labels"] == ["crm", "support"]
    totals = {d["label"]: d["data"] for d in per_subscriber["datasets"]}
    assert totals["Sikeres"] == [3, 0] and totals["Halott"] == [2, 0]
    assert totals["Várakozik"] == [0, 4]
    assert sum(sum(d["data"]) for d in charts["deliveries-per-hour"]["datasets"]) == 9
    assert charts["backlog"]["datasets"][0]["data"] == [4]
    assert charts["failure-reasons"]["datasets"][0]["data"] == [4, 2]
    assert charts["action-runs"]["datasets"][0]["data"] == [25]
    health = {d["label"]: sum(d["data"]) for d in charts["health-crm"]["datasets"]}
    assert health["Nem elérhető"] == 1
    assert "/admin/eventbus/delivery/?status__exact=dead&amp;subscriber=crm" in html
    assert "/admin/eventbus/inbounddelivery/?source__exact=chatwoot" in html
    assert "last_error__startswith=HTTP+410%3A+gone" in html
    assert "/admin/plugin_manager/healthcheckrecord/?plugin_id__exact=crm" in html
    assert "a legrégebbi várakozó kora" in html
    # the linked lists accept those filters
    for url in ("/admin/eventbus/delivery/?subscriber=crm&last_error__startswith=HTTP+410",
                "/admin/plugin_manager/healthcheckrecord/?plugin_id__exact=crm"):
        assert admin_client.get(url).status_code == 200, url


def test_the_sidebar_links_both_overviews(admin_client: Client) -> None:
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse(URL_NAME)}"' in html
    assert f'href="{reverse("admin:eventbus_delivery_dashboard")}"' in html
    assert "Integrációk áttekintése" in html
    # the default app list stays below them
    assert f'href="{reverse("admin:eventbus_delivery_changelist")}"' in html


def test_franchise_staff_see_only_their_tenant(client: Client, figures: None) -> None:
    other = TenantFactory(slug="franchise-pecs", name="Pécs")
    user = get_user_model().objects.create_user("pecs", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    StaffMembership.objects.create(user=user, tenant=other)
    client.force_login(user)
    page = client.get(reverse(URL_NAME))
    assert page.status_code == 200
    charts = _charts(page.content.decode())
    assert charts["deliveries-per-subscriber"]["labels"] == []
    assert "action-runs" not in charts  # the Plugins pages' permission is needed for these


def test_staff_without_the_permission_get_403(client: Client) -> None:
    user = get_user_model().objects.create_user("pult", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse(URL_NAME)).status_code == 403
    assert reverse(URL_NAME) not in client.get(reverse("admin:index")).content.decode()
