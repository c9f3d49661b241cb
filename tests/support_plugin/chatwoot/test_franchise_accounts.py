"""Franchise bootstrap through the Platform API of the sandbox, and the per-tenant pieces
built on it (dashboard app token, widget identity)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client

from apps.plugin_manager.services import set_enabled, update_settings
from apps.support_plugin.chatwoot.accounts import BootstrapError, bootstrap_franchise
from apps.support_plugin.chatwoot.dashboard import dashboard_token
from apps.support_plugin.chatwoot.identity import identifier_hash
from apps.support_plugin.chatwoot.models import ChatwootAccount
from kgc_erp.tenants.models import Tenant
from sandboxes.chatwoot import SandboxHandle
from tests.factories import PartnerFactory, TenantFactory, start_rental
from tests.infrastructure.waiting import wait_for

from .helpers import ACCOUNT_ID, API_TOKEN, PLATFORM_TOKEN


@pytest.fixture
def platform_configured(db: None, chatwoot: SandboxHandle) -> None:
    """Global plugin settings: the shared Chatwoot and its Platform API key."""
    update_settings("support", None, {
        "chatwoot_api_url": chatwoot.url, "chatwoot_api_key": API_TOKEN,
        "chatwoot_account_id": ACCOUNT_ID, "chatwoot_platform_api_key": PLATFORM_TOKEN,
    })
    cache.clear()


def _counts(handle: SandboxHandle) -> dict[str, int]:
    with handle.state.lock:
        return {"accounts": len(handle.state.accounts), "users": len(handle.state.users),
                "inboxes": len(handle.state.inboxes), "webhooks": len(handle.state.webhooks),
                "dashboard_apps": len(handle.state.dashboard_apps)}


def test_bootstrap_twice_creates_one_account(platform_configured, chatwoot) -> None:
    franchise = TenantFactory(slug="kgc-debrecen", name="KGC Debrecen")
    first = bootstrap_franchise(franchise, base_url="https://erp.example.hu")
    after_first = _counts(chatwoot)
    second = bootstrap_franchise(franchise, base_url="https://erp.example.hu")
    assert _counts(chatwoot) == after_first == {"accounts": 2, "users": 2, "inboxes": 2,
                                                "webhooks": 1, "dashboard_apps": 1}
    assert (first.account_id, first.inbox_id, first.webhook_id) == (
        second.account_id, second.inbox_id, second.webhook_id)
    with chatwoot.state.lock:
        hook = chatwoot.state.webhooks[second.webhook_id]
        assert hook.account_id == second.account_id
        assert hook.url == "https://erp.example.hu/webhooks/chatwoot/kgc-debrecen/"
        assert hook.secret == second.webhook_secret  # stored (encrypted) per tenant
        inbox = chatwoot.state.inboxes[second.inbox_id]
        assert inbox.account_id == second.account_id
        app = chatwoot.state.dashboard_apps[second.dashboard_app_id]
        assert app.account_id == second.account_id
        assert app.content[0]["url"].startswith(
            "https://erp.example.hu/support/chatwoot/dashboard/kgc-debrecen/?token=")
    stored = ChatwootAccount.objects.get(tenant=franchise)
    widget = next(i for i in chatwoot.state.inboxes.values()
                  if i.account_id == second.account_id and i.website_token)
    assert stored.widget_website_token == widget.website_token
    assert stored.widget_hmac_token == widget.hmac_token
    assert stored.webhook_secret_encrypted.startswith("enc:")
    assert hook.secret not in stored.webhook_secret_encrypted


def test_bootstrap_refuses_headquarters(platform_configured) -> None:
    hq = TenantFactory(slug="kgc-hq-test", kind=Tenant.Kind.HEADQUARTERS)
    with pytest.raises(BootstrapError):
        bootstrap_franchise(hq)


def test_enabling_support_for_a_franchise_bootstraps_it_and_routes_its_partners(
    worker, platform_configured, chatwoot
) -> None:
    franchise = TenantFactory(slug="kgc-sopron", name="KGC Sopron")
    set_enabled("support", franchise, True)
    account = wait_for(lambda: ChatwootAccount.objects.filter(
        tenant=franchise, webhook_id__isnull=False).first(), timeout=30, message="bootstrap")
    # the franchise's partners now go to its own account, not the shared one
    partner = PartnerFactory(tenant=franchise, name="Soproni Vevő")
    wait_for(lambda: any(c.identifier == str(partner.pk) and c.account_id == account.account_id
                         for c in chatwoot.state.contacts.values()), message="contact")
    start_rental(partner=partner)
    wait_for(lambda: any(c.account_id == account.account_id
                         for c in chatwoot.state.conversations.values()), message="notification")
    assert not any(c.account_id == ACCOUNT_ID for c in chatwoot.state.contacts.values())


def test_dashboard_card_needs_the_tenants_own_token(connected, chatwoot) -> None:
    partner = PartnerFactory(tenant=connected, name="Kártya Kata", phone="+36301239999")
    other = TenantFactory(slug="kgc-eger", name="KGC Eger")
    client = Client()
    token = dashboard_token(connected, ACCOUNT_ID)
    url = f"/support/chatwoot/dashboard/{connected.slug}/card/"
    response = client.get(url, {"token": token, "identifier": str(partner.pk)})
    assert response.status_code == 200
    assert "Kártya Kata" in response.content.decode()
    # a token of another tenant, or none, opens nothing
    assert client.get(url, {"token": dashboard_token(other, ACCOUNT_ID),
                            "identifier": str(partner.pk)}).status_code == 404
    assert client.get(url, {"identifier": str(partner.pk)}).status_code == 404
    page = client.get(f"/support/chatwoot/dashboard/{connected.slug}/", {"token": token})
    assert page.status_code == 200 and "appContext" in page.content.decode()


def test_widget_tag_renders_identifier_hash(connected, chatwoot) -> None:
    from apps.support_plugin.chatwoot.accounts import wire_connected_account

    wire_connected_account(connected, base_url="https://erp.example.hu")
    account = ChatwootAccount.objects.get(tenant=connected)
    partner = PartnerFactory(tenant=connected, name="Widget Vilma")
    html = Template("{% load chatwoot_widget %}{% chatwoot_widget partner %}").render(
        Context({"partner": partner}))
    with chatwoot.state.lock:
        widget = next(i for i in chatwoot.state.inboxes.values() if i.website_token)
    # NOTES §11: lowercase hex HMAC-SHA256 of the identifier keyed with the inbox hmac_token
    expected = hmac.new(widget.hmac_token.encode(), str(partner.pk).encode(),
                        hashlib.sha256).hexdigest()
    assert account.widget_hmac_token == widget.hmac_token
    assert expected == identifier_hash(widget.hmac_token, partner.pk)
    assert expected in html and widget.website_token in html
    assert widget.hmac_token not in html  # the key never reaches the browser


def test_widget_tag_renders_nothing_without_a_widget_inbox(connected) -> None:
    partner = PartnerFactory(tenant=connected)
    html = Template("{% load chatwoot_widget %}{% chatwoot_widget partner %}").render(
        Context({"partner": partner}))
    assert html == ""


def test_wiring_a_connected_account_is_idempotent(connected, chatwoot) -> None:
    from apps.plugin_manager.runtime import get_plugin_settings
    from apps.support_plugin.chatwoot.accounts import wire_connected_account

    wire_connected_account(connected, base_url="https://erp.example.hu")
    wire_connected_account(connected, base_url="https://erp.example.hu")
    cache.clear()
    settings = get_plugin_settings("support", connected.pk)
    with chatwoot.state.lock:
        hooks = list(chatwoot.state.webhooks.values())
        apps = list(chatwoot.state.dashboard_apps.values())
        inboxes = [i for i in chatwoot.state.inboxes.values() if i.name == "KGC értesítések"]
    assert len(hooks) == 1 and len(apps) == 1 and len(inboxes) == 1
    assert len([i for i in chatwoot.state.inboxes.values() if i.website_token]) == 1
    assert hooks[0].url == "https://erp.example.hu/webhooks/chatwoot/kgc-szeged/"
    assert settings["chatwoot_webhook_secret"] == hooks[0].secret
    assert settings["chatwoot_inbox_id"] == inboxes[0].id
