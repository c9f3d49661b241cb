"""snapshot.py / version_store.py: how often the shared version is read, and what a
caller that pins a snapshot or accepts bounded staleness sees."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.plugin_manager import runtime, snapshot, version_store
from apps.plugin_manager.models import PluginState
from apps.plugin_manager.services import set_enabled, update_settings

pytestmark = pytest.mark.django_db

ALPHA_SETTINGS = {"base_url": "https://alpha.example.test/api", "api_token": "tok-0123456789abcd"}


@pytest.fixture
def alpha_on(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        update_settings("alpha", None, ALPHA_SETTINGS)
        set_enabled("alpha", None, True)


def switch_off_elsewhere() -> None:
    """What another process's switch looks like from here: the row changes and the
    shared version moves, but this process's snapshot was not dropped."""
    PluginState.objects.filter(plugin_id="alpha", tenant__isnull=True).update(enabled=False)
    version_store.publish_new()


def test_the_direct_client_reads_the_token_the_cache_api_wrote() -> None:
    version_store.publish_new()
    assert version_store.read() == str(cache.get(version_store.VERSION_KEY)).encode()


def test_a_flushed_cache_gets_one_new_token_that_every_reader_agrees_on() -> None:
    cache.clear()
    first = version_store.read()
    assert first is not None
    assert version_store.read() == first


def test_another_process_switch_is_seen_on_the_next_call(alpha_on) -> None:
    assert runtime.is_enabled("alpha", None) is True
    switch_off_elsewhere()
    assert runtime.is_enabled("alpha", None) is False


def test_a_pinned_block_answers_from_one_snapshot(alpha_on) -> None:
    with snapshot.pin():
        assert runtime.is_enabled("alpha", None) is True
        switch_off_elsewhere()
        assert runtime.is_enabled("alpha", None) is True  # same snapshot all through
        assert runtime.get_plugin_settings("alpha", None)["api_token"] == "tok-0123456789abcd"
    assert runtime.is_enabled("alpha", None) is False


def test_bounded_staleness_skips_the_read_only_within_its_bound(alpha_on, monkeypatch) -> None:
    assert snapshot.current_snapshot().rows[("alpha", None)].enabled is True
    switch_off_elsewhere()
    # Within the bound the confirmed snapshot is reused ...
    assert snapshot.current_snapshot(max_staleness=60).rows[("alpha", None)].enabled is True
    # ... past it (here: the clock moved on) the shared version is read again.
    real_monotonic = snapshot.time.monotonic
    monkeypatch.setattr(snapshot.time, "monotonic", lambda: real_monotonic() + 61)
    assert snapshot.current_snapshot(max_staleness=60).rows[("alpha", None)].enabled is False


def test_bounded_staleness_never_hides_this_process_own_switch(
    alpha_on, django_capture_on_commit_callbacks
) -> None:
    assert snapshot.current_snapshot(max_staleness=60).rows[("alpha", None)].enabled is True
    with django_capture_on_commit_callbacks(execute=True):
        set_enabled("alpha", None, False)
    assert snapshot.current_snapshot(max_staleness=60).rows[("alpha", None)].enabled is False


def test_effective_settings_are_decrypted_once_per_snapshot(alpha_on, monkeypatch) -> None:
    from apps.plugin_manager import crypto

    runtime.get_plugin_settings("alpha", None)  # warm: decrypted and memoised
    calls = []
    real_decrypt = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value: calls.append(1) or real_decrypt(value))
    first = runtime.get_plugin_settings("alpha", None)
    first["api_token"] = "changed by the caller"
    assert runtime.get_plugin_settings("alpha", None)["api_token"] == "tok-0123456789abcd"
    assert calls == []
    # A new snapshot (any state change) decrypts again.
    update_settings("alpha", None, {"api_token": "tok-rotated-0123456789"})
    assert runtime.get_plugin_settings("alpha", None)["api_token"] == "tok-rotated-0123456789"
    assert calls
