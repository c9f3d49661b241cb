"""Fixtures of the bot API tests: the support plugin switched on, tenants, keys, a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.plugin_manager.models import PluginState
from apps.support_plugin.bot_api.keys import IssuedKey, issue_api_key
from apps.support_plugin.bot_api.scopes import Scope
from kgc_erp.tenants.models import Tenant
from tests.factories import TenantFactory, headquarters

from .helpers import BotClient


@pytest.fixture
def support_on(db: None) -> PluginState:
    """The support plugin switched on globally (the plugin manager's own state row)."""
    state, _ = PluginState.objects.update_or_create(
        plugin_id="support", tenant=None, defaults={"enabled": True}
    )
    return state


@pytest.fixture
def hq(db: None) -> Tenant:
    return headquarters()


@pytest.fixture
def franchise(db: None) -> Tenant:
    return TenantFactory(name="Győri franchise", slug="gyor")


@pytest.fixture
def make_key(db: None, hq: Tenant) -> Callable[..., IssuedKey]:
    def make(tenant: Tenant | None = None, scopes: tuple[Scope, ...] = (Scope.READ,),
             **kwargs: Any) -> IssuedKey:
        return issue_api_key(tenant=tenant or hq, name="Kokó teszt", scopes=scopes, **kwargs)

    return make


@pytest.fixture
def read_key(make_key: Callable[..., IssuedKey]) -> IssuedKey:
    return make_key()


@pytest.fixture
def write_key(make_key: Callable[..., IssuedKey]) -> IssuedKey:
    return make_key(scopes=(Scope.READ, Scope.WRITE))


@pytest.fixture
def api(support_on: PluginState, read_key: IssuedKey) -> BotClient:
    return BotClient(read_key.raw_key)


@pytest.fixture
def write_api(support_on: PluginState, write_key: IssuedKey) -> BotClient:
    return BotClient(write_key.raw_key)
