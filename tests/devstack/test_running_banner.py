"""`make run`'s final banner repeats everything needed to log in and call the API."""

from pathlib import Path

import pytest

import devstack.__main__ as devstack_main


@pytest.fixture
def demo_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(devstack_main, "DEMO_ADMIN_PASSWORD_FILE", tmp_path / "demo-admin-password")
    monkeypatch.setattr(devstack_main, "DEMO_API_KEY_FILE", tmp_path / "demo-api-key")
    return tmp_path


def test_banner_names_admin_credentials_docs_key_and_sandboxes(demo_files: Path) -> None:
    (demo_files / "demo-admin-password").write_text("jelszo-123\n")
    (demo_files / "demo-api-key").write_text("kgc_abcdefgh_titok\n")

    banner = devstack_main.running_banner(8000)

    for expected in (
        "http://127.0.0.1:8000/admin/",
        "username:       admin",
        "password:       jelszo-123",
        "http://127.0.0.1:8000/api/docs/",
        "API key:        kgc_abcdefgh_titok",
        "http://127.0.0.1:3100/_sandbox/state",
        "http://127.0.0.1:3200/_sandbox/state",
    ):
        assert expected in banner


def test_banner_without_the_support_plugin_has_no_key_line(demo_files: Path) -> None:
    (demo_files / "demo-admin-password").write_text("jelszo-123")

    banner = devstack_main.running_banner(8000)

    assert "API key" not in banner
    assert "password:       jelszo-123" in banner
