"""Admin: "API kulcs generálás" shows the key once, rotation, revocation, audit log browser."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from apps.support_plugin.bot_api.keys import IssuedKey, hash_key
from apps.support_plugin.bot_api.models import ApiCallLog, ApiKey
from kgc_erp.tenants.models import StaffMembership, Tenant
from tests.factories import PartnerFactory

from .helpers import BotClient

KEY_IN_PAGE = re.compile(r'value="(kgc_[a-z0-9]{8}_[A-Za-z0-9_\-]+)"')


@pytest.fixture
def admin_client(db: None) -> Client:
    user = User.objects.create_superuser("admin", "admin@kgc.example", "titkos-jelszo-123")
    client = Client()
    client.force_login(user)
    return client


def test_generating_a_key_shows_it_once_and_stores_only_the_hash(
    admin_client: Client, hq: Tenant, support_on
) -> None:
    add_url = reverse("admin:support_bot_api_apikey_add")
    assert "API kulcs generálás" in admin_client.get(add_url).content.decode()

    response = admin_client.post(add_url, {
        "tenant": hq.pk, "name": "Kokó éles", "scopes": ["support:read", "support:write"],
        "expires_at_0": "2030-01-01", "expires_at_1": "12:00:00",
        "rate_limit_per_minute": 300,
    })

    assert response.status_code == 200
    assert "no-cache" in response.headers["Cache-Control"]
    page = response.content.decode()
    raw_key = KEY_IN_PAGE.search(page).group(1)
    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_key(raw_key)
    assert stored.created_by.username == "admin"
    assert stored.scopes == ["support:read", "support:write"]
    assert raw_key.startswith(f"kgc_{stored.prefix}_")
    # The key works ...
    PartnerFactory(phone="+36301234567")
    assert BotClient(raw_key).get("/api/v1/customers/by-phone/06301234567").status_code == 200
    # ... and no admin page shows it again.
    change = admin_client.get(reverse("admin:support_bot_api_apikey_change", args=[stored.pk]))
    listing = admin_client.get(reverse("admin:support_bot_api_apikey_changelist"))
    assert raw_key not in change.content.decode()
    assert raw_key not in listing.content.decode()
    assert stored.display_prefix in listing.content.decode()


def test_rotate_and_revoke_actions(admin_client: Client, read_key: IssuedKey) -> None:
    changelist = reverse("admin:support_bot_api_apikey_changelist")

    rotated = admin_client.post(changelist, {"action": "rotate_selected",
                                             "_selected_action": [read_key.api_key.pk]})

    new_raw = KEY_IN_PAGE.search(rotated.content.decode()).group(1)
    successor = ApiKey.objects.get(rotated_from=read_key.api_key)
    assert successor.key_hash == hash_key(new_raw)

    admin_client.post(changelist, {"action": "revoke_selected",
                                   "_selected_action": [read_key.api_key.pk, successor.pk]})

    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 0


def test_audit_log_is_browsable_and_read_only(admin_client: Client, api: BotClient) -> None:
    api.get("/api/v1/rentals/R-2026-0001/status")
    row = ApiCallLog.objects.get()

    listing = admin_client.get(reverse("admin:support_bot_api_apicalllog_changelist"))
    detail = admin_client.get(reverse("admin:support_bot_api_apicalllog_change", args=[row.pk]))
    add = admin_client.get(reverse("admin:support_bot_api_apicalllog_add"))

    assert listing.status_code == 200
    assert "R-2026-0001" in listing.content.decode()
    assert detail.status_code == 200
    assert add.status_code == 403


def test_franchise_staff_see_only_their_tenants_keys(
    db: None, franchise: Tenant, make_key
) -> None:
    make_key()  # headquarters
    own = make_key(tenant=franchise)
    user = User.objects.create_user("gyor", password="titkos-jelszo-123", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="support_bot_api")
    )
    StaffMembership.objects.create(user=user, tenant=franchise)
    client = Client()
    client.force_login(user)

    listing = client.get(reverse("admin:support_bot_api_apikey_changelist")).content.decode()

    assert own.api_key.display_prefix in listing
    assert ApiKey.objects.exclude(pk=own.api_key.pk).get().display_prefix not in listing
