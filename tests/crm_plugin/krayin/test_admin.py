"""The CRM plugin's admin shows which backend each tenant uses, and the Krayin rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.plugin_manager import services
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def test_the_tenant_list_shows_each_tenants_backend(admin_client) -> None:
    store = TenantFactory(name="Szegedi bolt", slug="szeged")
    services.update_settings("crm", store, {"crm_backend": "krayin"})
    page = admin_client.get(reverse("admin:crm_plugin_crmtenant_changelist")).content.decode()
    assert "Szegedi bolt" in page and "Krayin" in page and "Twenty" in page
    for name in ("leadpollcursor", "syncrun", "processedopportunity"):
        response = admin_client.get(reverse(f"admin:crm_plugin_{name}_changelist"))
        assert response.status_code == 200
