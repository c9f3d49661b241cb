"""Requesters against the GLPI sandbox: found by our id, e-mail or phone before creating,
so a retry or a lost answer never makes a second one; User or Contact by setting."""

from __future__ import annotations

import pytest

from apps.plugin_manager.eventbus.external_refs import find_ref
from apps.support_plugin.glpi.client import Connection, GlpiClient
from apps.support_plugin.glpi.config import GlpiSettings
from apps.support_plugin.glpi.errors import GlpiServerError
from apps.support_plugin.glpi.requester import ensure_requester
from apps.support_plugin.glpi.sessions import GlpiSession
from kgc_erp.tenants.models import Tenant
from sandboxes.glpi.server import SandboxHandle
from tests.factories import PartnerFactory

from .helpers import APP_TOKEN, USER_TOKEN

pytestmark = pytest.mark.django_db


def _setup(glpi: SandboxHandle, kind: str = "user") -> tuple[GlpiClient, GlpiSettings]:
    settings = GlpiSettings(api_url=glpi.url, user_token=USER_TOKEN, app_token=APP_TOKEN,
                            requester_kind=kind)  # type: ignore[arg-type]
    return GlpiClient(GlpiSession(Connection(glpi.url, USER_TOKEN, APP_TOKEN))), settings


def test_partner_becomes_one_user_even_after_a_lost_answer(glpi: SandboxHandle,
                                                           store: Tenant) -> None:
    client, settings = _setup(glpi)
    partner = PartnerFactory(tenant=store, name="Tóth Béla", phone="+36301112233",
                             email="toth.bela@example.hu")
    glpi.set_fault("500", after=True, count=1, paths="^User/?$")
    with pytest.raises(GlpiServerError):
        ensure_requester(client, settings, store, partner=partner, account_id=1, contact={})
    requester = ensure_requester(client, settings, store, partner=partner, account_id=1,
                                 contact={})
    assert requester is not None and requester.kind == "user"
    users = [u for u in glpi.state()["records"]["User"]
             if u.get("registration_number") == f"kgc-p{partner.pk}"]
    assert [u["id"] for u in users] == [requester.id]
    assert users[0]["realname"] == "Tóth" and users[0]["firstname"] == "Béla"
    assert find_ref("glpi", tenant=store, obj=partner).external_id == str(requester.id)


def test_an_existing_user_is_adopted_by_email(glpi: SandboxHandle, store: Tenant) -> None:
    client, settings = _setup(glpi)
    existing = client.create_item("User", {"name": "kbela", "_useremails": ["kb@example.hu"]})
    requester = ensure_requester(client, settings, store, partner=None, account_id=1,
                                 contact={"id": 77, "name": "Kovács Béla",
                                          "email": "kb@example.hu"})
    assert requester is not None and requester.id == existing
    assert find_ref("glpi", tenant=store, object_type="chatwoot.contact",
                    object_id="1-77") is not None


def test_contact_kind_makes_a_contact(glpi: SandboxHandle, store: Tenant) -> None:
    client, settings = _setup(glpi, "contact")
    contact = {"id": 5, "name": "Szép Ilona", "email": "ilona@example.hu",
               "phone_number": "+36701234567"}
    first = ensure_requester(client, settings, store, partner=None, account_id=1,
                             contact=contact)
    assert first is not None and first.kind == "contact"
    contacts = [c for c in glpi.state()["records"]["Contact"] if c["email"] == "ilona@example.hu"]
    assert [c["id"] for c in contacts] == [first.id]
    assert ensure_requester(client, settings, store, partner=None, account_id=1,
                            contact=contact) == first
    assert ensure_requester(client, settings, store, partner=None, account_id=1,
                            contact={"name": "no id"}) is None
