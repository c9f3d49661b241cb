"""The Krayin client against the sandbox: the shared token (no revocation loop between
workers), re-login once after a revoked token, typed errors, a lost create response."""

from __future__ import annotations

import threading

import pytest

from apps.crm_plugin.krayin.client import KrayinClient
from apps.crm_plugin.krayin.errors import (
    KrayinServerError,
    KrayinUnauthorized,
    KrayinValidationError,
)
from apps.crm_plugin.krayin.partner_sync import push_partners
from apps.crm_plugin.krayin.persons import sync_person
from tests.factories import PartnerFactory

from .helpers import PASSWORD, client_for, config_for, control, persons, state

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_sharing_one_krayin_user_do_not_revoke_each_other(krayin) -> None:
    errors: list[BaseException] = []
    calls_per_thread = 40

    def hammer() -> None:
        try:
            with client_for(krayin) as client:
                for _ in range(calls_per_thread):
                    client.request("GET", "get")
                    client.search_persons("emails", "nobody@example.hu")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert state(krayin)["login_count"] == 1  # one login, shared through the cache


def test_a_token_revoked_elsewhere_is_replaced_once(krayin) -> None:
    with client_for(krayin) as first:
        first.request("GET", "get")
        krayin.login("someone-else")  # a login elsewhere revokes our token
        logins_before = state(krayin)["login_count"]
        first.store.forget()  # as if the cache had lost it too: a real re-login is needed
        assert first.request("GET", "get")["data"]
        assert state(krayin)["login_count"] == logins_before + 1
        # A second client of the same user takes over the new token without logging in.
        with client_for(krayin) as second:
            second.request("GET", "get")
        assert state(krayin)["login_count"] == logins_before + 1


def test_debug_rendering_401_is_handled_like_the_production_500(krayin) -> None:
    control(krayin, "POST", "config", json={"app_debug": True})
    try:
        with client_for(krayin) as client:
            client.request("GET", "get")
            krayin.login("someone-else")
            client.store.forget()
            assert client.request("GET", "get")["data"]
    finally:
        control(krayin, "POST", "config", json={"app_debug": False})


def test_wrong_password_is_a_permanent_error(krayin) -> None:
    config = config_for(krayin)
    bad = type(config)(config.api_url, config.email, PASSWORD + "x")
    with KrayinClient(bad) as client, pytest.raises(KrayinUnauthorized):
        client.request("GET", "get")


def test_validation_errors_keep_their_dot_paths(krayin) -> None:
    with client_for(krayin) as client, pytest.raises(KrayinValidationError) as caught:
        client.create_person({"name": "X", "emails": [{"value": "nem-email", "label": "work"}],
                              "contact_numbers": [{"value": "1", "label": "work"}]})
    assert "emails.0.value" in caught.value.errors


def test_a_server_error_is_transient_after_the_auth_probe(krayin) -> None:
    with client_for(krayin) as client:
        client.request("GET", "get")
        control(krayin, "POST", "faults", json={"mode": "500", "count": 1,
                                                "path": "/api/v1/contacts"})
        with pytest.raises(KrayinServerError) as caught:
            client.search_persons("emails", "x@example.hu")
        assert caught.value.retryable
    assert state(krayin)["login_count"] == 1  # a real 500 is not mistaken for a bad token


class _LosesCreateAnswer(KrayinClient):
    """Makes the sandbox lose the answer of the next person create (it still happens)."""

    armed = True

    def create_person(self, payload: dict[str, object]) -> dict[str, object]:
        if self.armed:
            self.armed = False
            control_url = self.config.api_url.rsplit("/api/v1", 1)[0]
            import requests

            requests.post(f"{control_url}/_sandbox/faults", json={
                "mode": "500", "count": 1, "after": True, "path": "/api/v1/contacts/persons"},
                timeout=5).raise_for_status()  # fmt: skip
        return super().create_person(payload)


def test_a_lost_create_response_is_adopted_on_retry(krayin) -> None:
    partner = PartnerFactory(name="Nagy Éva", email="", phone="")
    with _LosesCreateAnswer(config_for(krayin)) as client:
        with pytest.raises(KrayinServerError):
            sync_person(client, partner)
        assert len(persons(krayin)) == 1  # created, answer lost
        push_partners(client, [partner], maybe_done=True)  # the retried delivery
    rows = persons(krayin)
    assert len(rows) == 1
    assert rows[0]["contact_numbers"][0]["label"] == "kgc"  # no phone: our id stands in
