"""The plugin switch as the API sees it: a switch made in another process reaches it within
its stated time (plugin_switch.SWITCH_STALENESS_SECONDS), one made here at once."""

from __future__ import annotations

import pytest

from apps.plugin_manager import snapshot, version_store
from apps.plugin_manager.models import PluginState
from apps.support_plugin.bot_api.keys import IssuedKey
from apps.support_plugin.bot_api.plugin_switch import SWITCH_STALENESS_SECONDS

from .helpers import BotClient

pytestmark = pytest.mark.django_db

UNKNOWN_PHONE = "/api/v1/customers/by-phone/06301239876"


@pytest.fixture
def committed_on(django_capture_on_commit_callbacks) -> None:
    """Switched on as a committed change would leave it (the version published after
    COMMIT), so the process shares its snapshot as in production."""
    with django_capture_on_commit_callbacks(execute=True):
        PluginState.objects.update_or_create(plugin_id="support", tenant=None,
                                             defaults={"enabled": True})


def switch_off_elsewhere() -> None:
    """Another process's switch: the row changes and the shared version moves, but this
    process's snapshot is not dropped."""
    PluginState.objects.filter(plugin_id="support", tenant__isnull=True).update(enabled=False)
    version_store.publish_new()


def test_a_switch_made_elsewhere_reaches_the_api_within_its_stated_time(
    committed_on: None, read_key: IssuedKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = BotClient(read_key.raw_key)
    assert api.get(UNKNOWN_PHONE).status_code == 404  # on: the lookup ran
    switch_off_elsewhere()
    # Within the stated time the process may still answer from its confirmed snapshot ...
    assert api.get(UNKNOWN_PHONE).status_code == 404
    # ... once it has passed, the switch is seen.
    real_monotonic = snapshot.time.monotonic
    monkeypatch.setattr(snapshot.time, "monotonic",
                        lambda: real_monotonic() + SWITCH_STALENESS_SECONDS + 0.01)
    response = api.get(UNKNOWN_PHONE)
    assert response.status_code == 503
    assert response.json()["code"] == "plugin_disabled"


def test_a_switch_made_in_this_process_is_seen_at_once(
    committed_on: None, read_key: IssuedKey, django_capture_on_commit_callbacks
) -> None:
    api = BotClient(read_key.raw_key)
    assert api.get(UNKNOWN_PHONE).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        state = PluginState.objects.get(plugin_id="support", tenant=None)
        state.enabled = False
        state.save()  # the admin's way: the save publishes the new version
    assert api.get(UNKNOWN_PHONE).status_code == 503
