"""Every request the client sends, against the GLPI sandbox (which answers as strictly as
GLPI 10): one session reused, one re-init after an expiry, killSession, no body on GET,
``{"input": ...}`` envelopes, ``range`` paging, and the typed errors."""

from __future__ import annotations

import pytest

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError
from apps.support_plugin.glpi.client import Connection, GlpiClient
from apps.support_plugin.glpi.errors import (
    GlpiAuthError,
    GlpiBadResponse,
    GlpiNotFound,
    GlpiRequestError,
    GlpiServerError,
    GlpiUnavailable,
)
from apps.support_plugin.glpi.sessions import GlpiSession, kill_all_sessions, session_for
from sandboxes.glpi.server import SandboxHandle

from .helpers import API_USER_ID, APP_TOKEN, USER_TOKEN


def _client(glpi: SandboxHandle, user_token: str = USER_TOKEN,
            timeout: tuple[float, float] = (1.0, 2.0)) -> GlpiClient:
    return GlpiClient(GlpiSession(Connection(glpi.url, user_token, APP_TOKEN, timeout)))


def test_one_session_is_reused_and_killed(glpi: SandboxHandle) -> None:
    client = _client(glpi)
    assert client.get_active_profile()
    for _ in range(5):
        client.list_page("Ticket/")
    assert glpi.state()["init_session_calls"] == 1
    client.session.kill()
    assert glpi.state()["kill_session_calls"] == 1
    gets = [r for r in glpi.requests() if r["method"] == "GET"]
    assert gets and not any(r["body_sent"] for r in gets)  # GLPI refuses a body on GET
    assert all(r["app_token_sent"] for r in glpi.requests())


def test_sessions_are_shared_per_tenant_in_a_process(glpi: SandboxHandle) -> None:
    connection = Connection(glpi.url, USER_TOKEN, APP_TOKEN)
    assert session_for(1, connection) is session_for(1, connection)
    assert session_for(2, connection) is not session_for(1, connection)
    GlpiClient(session_for(1, connection)).get_active_profile()
    kill_all_sessions()
    assert glpi.state()["kill_session_calls"] == 1


def test_expired_session_is_reinitialised_once(glpi: SandboxHandle) -> None:
    client = _client(glpi)
    client.get_active_profile()
    glpi.expire_sessions()
    ticket_id = client.create_item("Ticket", {"name": "Teszt", "content": "<p>x</p>"})
    assert ticket_id > 0
    assert glpi.state()["init_session_calls"] == 2
    assert client.session.init_calls == 2


def test_create_update_get_and_paging(glpi: SandboxHandle) -> None:
    client = _client(glpi)
    ids = [client.create_item("Ticket", {"name": f"T{i}", "content": "c"}) for i in range(7)]
    client.update_item("Ticket", ids[0], {"status": 5})
    assert client.get_item("Ticket", ids[0])["status"] == 5
    page = client.list_page("Ticket/", size=3)
    assert len(page.rows) == 3 and page.total >= 7
    assert {row["id"] for row in client.list_all("Ticket/", size=3)} >= set(ids)
    found = client.search("Ticket", [{"field": 2, "searchtype": "equals", "value": ids[1]}],
                          display=(2, 12))
    assert found.total == 1 and found.rows[0]["2"] == ids[1]
    empty = client.search("Ticket", [{"field": 1, "searchtype": "contains", "value": "nincs"}],
                          display=(2,))
    assert empty.total == 0 and empty.rows == []  # no `data` key when nothing matches
    assert client.get_full_session()["glpiID"] == API_USER_ID
    # The sandbox refuses a write without the {"input": ...} envelope (ERROR_BAD_ARRAY).
    writes = [r for r in glpi.requests() if r["method"] in ("POST", "PUT")]
    assert writes and all(r["body_sent"] and r["error"] is None for r in writes)


def test_typed_errors(glpi: SandboxHandle) -> None:
    client = _client(glpi)
    with pytest.raises(GlpiNotFound) as not_found:
        client.get_item("Ticket", 999999)
    assert not_found.value.code == "ERROR_ITEM_NOT_FOUND"
    assert isinstance(not_found.value, PermanentDeliveryError)
    with pytest.raises(GlpiRequestError):
        client.create_item("ITILFollowup", {"itemtype": "Ticket", "items_id": 999999,
                                            "content": "x"})
    with pytest.raises(GlpiAuthError):
        _client(glpi, user_token="wrong").get_active_profile()


@pytest.mark.parametrize(("mode", "error"), [
    ("html500", GlpiServerError), ("500", GlpiServerError),
    ("garbage_json", GlpiBadResponse), ("missing_fields", GlpiBadResponse),
])
def test_bad_answers_are_transient_errors(glpi: SandboxHandle, mode: str,
                                          error: type[Exception]) -> None:
    client = _client(glpi)
    client.get_active_profile()
    glpi.set_fault(mode, count=1, paths="^Ticket")
    with pytest.raises(error) as raised:
        client.create_item("Ticket", {"name": "x", "content": "y"})
    assert isinstance(raised.value, TransientDeliveryError)
    assert str(raised.value)  # a clear message for the delivery's error column


def test_timeout_is_unavailable(glpi: SandboxHandle) -> None:
    client = _client(glpi, timeout=(1.0, 0.3))
    client.get_active_profile()
    glpi.set_fault("timeout", count=1, delay=2)
    with pytest.raises(GlpiUnavailable):
        client.list_page("Ticket/")
