"""API keys (hash only, expiry, rotation, revocation), scopes, throttling, plugin switch."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from apps.plugin_manager.models import PluginState
from apps.support_plugin.bot_api import throttling
from apps.support_plugin.bot_api.keys import (
    IssuedKey,
    hash_key,
    revoke_api_key,
    rotate_api_key,
)
from apps.support_plugin.bot_api.models import ApiKey
from apps.support_plugin.bot_api.scopes import Scope
from apps.support_plugin.bot_api.throttling import WINDOW_SECONDS
from kgc_erp.tenants.models import Tenant
from tests.factories import PartnerFactory, start_rental

from .helpers import BotClient

PATH = "/api/v1/customers/by-phone/+36301234567"


@pytest.fixture
def customer(hq: Tenant):
    return PartnerFactory(phone="+36301234567")


def test_key_is_stored_only_as_hash_with_visible_prefix(read_key: IssuedKey) -> None:
    stored = ApiKey.objects.values().get(pk=read_key.api_key.pk)

    assert read_key.raw_key.startswith(f"kgc_{stored['prefix']}_")
    assert stored["key_hash"] == hash_key(read_key.raw_key)
    assert not any(read_key.raw_key in str(value) for value in stored.values())
    assert stored["scopes"] == ["support:read"]
    lifetime = stored["expires_at"] - stored["created_at"]
    assert dt.timedelta(days=89, hours=23) < lifetime <= dt.timedelta(days=90)


def test_valid_key_is_accepted_and_marks_last_use(api: BotClient, read_key: IssuedKey,
                                                   customer) -> None:
    assert api.get(PATH).status_code == 200
    read_key.api_key.refresh_from_db()
    assert read_key.api_key.last_used_at is not None


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer", "invalid_api_key"),
        ("Bearer kgc_abcdefgh_nem-letezo-kulcs", "invalid_api_key"),
        ("Bearer valami-egeszen-mas", "invalid_api_key"),
        ("Bearer a b", "invalid_api_key"),
    ],
)
def test_missing_or_unknown_key_is_401(support_on: PluginState, customer,
                                       authorization: str | None, code: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = Client().get(PATH, headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_authorization_schemes_count_as_missing(support_on: PluginState) -> None:
    response = Client().get(PATH, headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_expired_key_is_401(support_on: PluginState, make_key: Callable[..., IssuedKey],
                            customer) -> None:
    issued = make_key()
    ApiKey.objects.filter(pk=issued.api_key.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    response = BotClient(issued.raw_key).get(PATH)

    assert response.status_code == 401
    assert response.json() == {"code": "api_key_expired", "detail": "Az API kulcs lejárt."}


def test_revoked_key_is_401_at_once(api: BotClient, read_key: IssuedKey, customer) -> None:
    assert api.get(PATH).status_code == 200

    revoke_api_key(read_key.api_key)

    response = api.get(PATH)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_rotation_overlaps_then_retires_the_old_key(api: BotClient, read_key: IssuedKey,
                                                    customer) -> None:
    successor = rotate_api_key(read_key.api_key, overlap=dt.timedelta(days=7))

    assert successor.api_key.rotated_from == read_key.api_key
    assert successor.api_key.tenant == read_key.api_key.tenant
    assert successor.api_key.scopes == read_key.api_key.scopes
    # Both work during the overlap ...
    assert api.get(PATH).status_code == 200
    assert BotClient(successor.raw_key).get(PATH).status_code == 200
    old = ApiKey.objects.get(pk=read_key.api_key.pk)
    assert old.expires_at <= timezone.now() + dt.timedelta(days=7)
    # ... and once the overlap is over only the new one does.
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api.get(PATH).json()["code"] == "api_key_expired"
    assert BotClient(successor.raw_key).get(PATH).status_code == 200
    with pytest.raises(ValueError):
        rotate_api_key(old)  # already rotated


def test_read_key_cannot_book(api: BotClient) -> None:
    response = api.post("/api/v1/service/appointments", {"customer_id": 1,
                                                          "starts_at": "2030-01-07T10:00"})

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert "support:write" in response.json()["detail"]


def test_write_only_key_cannot_read(support_on: PluginState,
                                    make_key: Callable[..., IssuedKey], customer) -> None:
    issued = make_key(scopes=(Scope.WRITE,))

    response = BotClient(issued.raw_key).get(PATH)

    assert response.status_code == 403


def test_key_sees_only_its_own_tenant(support_on: PluginState, franchise: Tenant,
                                      make_key: Callable[..., IssuedKey]) -> None:
    hq_rental = start_rental(PartnerFactory(phone="+36301234567"))
    franchise_client = BotClient(make_key(tenant=franchise).raw_key)

    assert franchise_client.get(PATH).status_code == 404
    assert franchise_client.get(f"/api/v1/rentals/{hq_rental.number}/status").status_code == 404
    PartnerFactory(tenant=franchise, phone="+36301234567", name="Győri ügyfél")
    assert franchise_client.get(PATH).json()["name"] == "Győri ügyfél"


# --- throttling -------------------------------------------------------------------------------


def test_rate_limit_per_key_answers_429_with_retry_after(
    support_on: PluginState, make_key: Callable[..., IssuedKey], customer
) -> None:
    limited = BotClient(make_key(rate_limit_per_minute=3).raw_key)
    other = BotClient(make_key(rate_limit_per_minute=3).raw_key)
    if time.time() % WINDOW_SECONDS > WINDOW_SECONDS - 2:
        time.sleep(2)  # the fixed window must not roll over in the middle of the test

    statuses = [limited.get(PATH).status_code for _ in range(4)]
    throttled = limited.get(PATH)

    assert statuses == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert f"{throttled.headers['Retry-After']} másodperc" in throttled.json()["detail"]
    assert other.get(PATH).status_code == 200  # the limit is per key


def test_rate_limit_fails_open_when_redis_is_unreachable(
    api: BotClient, customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = throttling.redis_client(f"redis://127.0.0.1:{port}/0")
    monkeypatch.setattr(throttling, "_redis", lambda: unreachable)

    started = time.monotonic()
    assert api.get(PATH).status_code == 200
    assert time.monotonic() - started < 2  # no reconnect storm either


# --- plugin switch ----------------------------------------------------------------------------


def test_plugin_off_answers_503_and_leaves_the_erp_alone(
    api: BotClient, support_on: PluginState, customer
) -> None:
    support_on.enabled = False
    support_on.save()

    response = api.get(PATH)

    assert response.status_code == 503
    assert response.json() == {
        "code": "plugin_disabled",
        "detail": "Az ügyfélszolgálati modul ki van kapcsolva ennél a telephelynél, "
                  "ezért az API most nem elérhető.",
    }
    # The ERP itself carries on: rentals start, the admin answers.
    assert start_rental(customer).number.startswith("R-")
    assert Client().get("/admin/login/").status_code == 200


def test_plugin_off_for_one_tenant_only(support_on: PluginState, franchise: Tenant,
                                        make_key: Callable[..., IssuedKey], customer) -> None:
    PluginState.objects.create(plugin_id="support", tenant=franchise, enabled=False)

    assert BotClient(make_key().raw_key).get(PATH).status_code == 200
    franchise_response = BotClient(make_key(tenant=franchise).raw_key).get(PATH)
    assert franchise_response.status_code == 503
    assert franchise_response.json()["code"] == "plugin_disabled"


def test_plugin_off_by_default_env_flag(db: None, read_key: IssuedKey, settings) -> None:
    settings.SUPPORT_MODULE_ENABLED = False

    assert BotClient(read_key.raw_key).get(PATH).status_code == 503
