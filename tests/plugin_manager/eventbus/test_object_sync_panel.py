"""The partner page's "external systems" panel (contributed through the core's admin seam)
and its "sync now" button, with the gamma test plugin as the subscriber."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.plugin_manager.eventbus.external_refs import link
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.eventbus.outbox.delivery import run_delivery
from kgc_erp.tenants.models import StaffMembership
from tests.factories import PartnerFactory, TenantFactory
from tests.infrastructure.targets import Fault

from .helpers import enable_gamma

pytestmark = pytest.mark.django_db


def _panel(client, partner) -> str:
    response = client.get(reverse("admin:partners_partner_change", args=[partner.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-panel="eventbus.sync"' in html
    return html


def test_the_panel_shows_each_subscriber_turning_green_and_the_link(
    admin_client, target, tenant
) -> None:
    enable_gamma(target.url)
    partner = PartnerFactory(tenant=tenant)
    html = _panel(admin_client, partner)
    assert "Gamma (teszt)" in html and "Folyamatban" in html  # delivery queued

    assert run_delivery(Delivery.objects.get().pk) == "succeeded"
    link("gamma-system", "G-17", tenant=tenant, obj=partner)
    html = _panel(admin_client, partner)
    assert 'data-state="ok"' in html and "Szinkronizálva" in html
    assert "gamma-system" in html and "G-17" in html


def test_a_failed_sync_shows_the_error(admin_client, target, tenant) -> None:
    enable_gamma(target.url)
    target.policy = lambda n, body: Fault(status=410)
    partner = PartnerFactory(tenant=tenant)
    assert run_delivery(Delivery.objects.get().pk) == "dead"
    html = _panel(admin_client, partner)
    assert 'data-state="failed"' in html and "HTTP 410" in html


def test_sync_now_records_a_fresh_delivery(admin_client, target, tenant) -> None:
    enable_gamma(target.url)
    partner = PartnerFactory(tenant=tenant)
    run_delivery(Delivery.objects.get().pk)
    response = admin_client.post(reverse("eventbus:partner-sync-now", args=[partner.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:partners_partner_change", args=[partner.pk])
    fresh = Delivery.objects.order_by("-id").first()
    assert fresh is not None and fresh.status == Delivery.Status.PENDING
    assert Delivery.objects.count() == 2


def test_sync_now_needs_the_change_permission_and_the_own_store(client, target, tenant) -> None:
    enable_gamma(target.url)
    other_store = TenantFactory(slug="debrecen", name="Debrecen")
    partner = PartnerFactory(tenant=other_store)
    clerk = get_user_model().objects.create_user("pult", password="x", is_staff=True)
    StaffMembership.objects.create(user=clerk, tenant=tenant)
    client.force_login(clerk)
    url = reverse("eventbus:partner-sync-now", args=[partner.pk])
    assert client.post(url).status_code == 403  # no change permission
    clerk.user_permissions.add(*_change_partner())
    assert client.post(url).status_code == 404  # another store's partner
    assert client.get(url).status_code == 405


def _change_partner() -> list:
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(codename="change_partner"))
