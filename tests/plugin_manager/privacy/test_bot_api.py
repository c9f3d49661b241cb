"""The bot's side of erasure: DELETE /api/v1/customers/{id} opens a request (202), its
progress is readable, both only with the `customers:erase` scope; a tombstoned number is
unknown to the by-phone lookup."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.plugin_manager.models import PluginState
from apps.plugin_manager.privacy.models import PrivacyRequest, Tombstone
from apps.support_plugin.bot_api.keys import issue_api_key
from apps.support_plugin.bot_api.models import ApiCallLog
from apps.support_plugin.bot_api.scopes import Scope
from kgc_erp.tenants.models import Tenant
from tests.factories import PartnerFactory, TenantFactory, headquarters

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(db: None) -> Tenant:
    PluginState.objects.update_or_create(plugin_id="support", tenant=None,
                                         defaults={"enabled": True})
    return headquarters()


def _client(tenant: Tenant, *scopes: Scope) -> Client:
    key = issue_api_key(tenant=tenant, name="Kokó teszt", scopes=scopes)
    return Client(headers={"Authorization": f"Bearer {key.raw_key}"})


def test_delete_opens_an_erasure_request_and_progress_is_readable(hq: Tenant) -> None:
    partner = PartnerFactory(tenant=hq, phone="+36301230000", email="bot@example.hu")
    api = _client(hq, Scope.READ, Scope.ERASE)

    response = api.delete(f"/api/v1/customers/{partner.pk}")

    assert response.status_code == 202, response.content
    body = response.json()
    request = PrivacyRequest.objects.get(pk=body["request_id"])
    assert body["status"] == request.status
    assert request.channel == PrivacyRequest.Channel.BOT and request.kind == "erasure"
    assert Tombstone.objects.filter(tenant=hq).count() == 2
    partner.refresh_from_db()
    assert partner.phone == "" and not partner.is_active  # the ERP's part ran at once
    # The same DELETE again (the partner is now inactive): unknown customer.
    assert api.delete(f"/api/v1/customers/{partner.pk}").status_code == 404

    progress = api.get(f"/api/v1/privacy-requests/{request.pk}")
    assert progress.status_code == 200
    data = progress.json()
    assert data["request_id"] == request.pk and data["kind"] == "erasure"
    assert data["deadline"] and data["status"] in ("in_progress", "done")
    systems = {s["system"]: s["status"] for s in data["steps"]}
    assert systems["erp"] == "done"
    assert {"eventbus", "chatwoot", "bot_api", "twenty"} <= set(systems)
    assert ApiCallLog.objects.filter(endpoint="customers.erase", status_code=202).exists()

    # A tombstoned number is unknown to the lookup, whoever holds it now.
    PartnerFactory(tenant=hq, phone="+36301230000")
    lookup = api.get("/api/v1/customers/by-phone/06301230000")
    assert lookup.status_code == 404


def test_wrong_scope_is_refused(hq: Tenant) -> None:
    partner = PartnerFactory(tenant=hq)
    api = _client(hq, Scope.READ, Scope.WRITE)
    assert api.delete(f"/api/v1/customers/{partner.pk}").status_code == 403
    assert api.get("/api/v1/privacy-requests/1").status_code == 403
    partner.refresh_from_db()
    assert partner.is_active and not PrivacyRequest.objects.exists()


def test_another_tenants_customer_and_request_are_unknown(hq: Tenant) -> None:
    other = TenantFactory(slug="kgc-pecs")
    partner = PartnerFactory(tenant=other)
    api = _client(hq, Scope.ERASE)
    assert api.delete(f"/api/v1/customers/{partner.pk}").status_code == 404
    other_api = _client(other, Scope.ERASE)
    PluginState.objects.update_or_create(plugin_id="support", tenant=other,
                                         defaults={"enabled": True})
    opened = other_api.delete(f"/api/v1/customers/{partner.pk}").json()["request_id"]
    assert api.get(f"/api/v1/privacy-requests/{opened}").status_code == 404
