"""`make test` provides Chromium for the browser tests: found, installed as root, or a
clear message naming the fix (never a silent skip)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack import chromium


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No chromium on PATH or at the Debian path; returns where an install would put it."""
    binary = tmp_path / "chromium"
    monkeypatch.delenv(chromium.ENV_PATH, raising=False)
    monkeypatch.setattr(chromium, "CHROMIUM", binary)
    monkeypatch.setattr(chromium.shutil, "which",
                        lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
    return binary


def test_an_installed_chromium_is_used_without_installing(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere.write_text("")
    monkeypatch.setattr(chromium.subprocess, "run", pytest.fail)
    assert chromium.ensure_chromium() == nowhere


def test_root_installs_debians_package_quietly(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(args)
        if "install" in args:
            nowhere.write_text("")
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(chromium.os, "geteuid", lambda: 0)
    monkeypatch.setattr(chromium.subprocess, "run", run)
    assert chromium.ensure_chromium() == nowhere
    assert calls == [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]]


def test_without_root_it_says_how_to_install(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(chromium.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(chromium.subprocess, "run", pytest.fail)
    with caplog.at_level(logging.ERROR, logger="devstack.chromium"):
        assert chromium.ensure_chromium() is None
    assert "apt-get install -y chromium" in caplog.text
