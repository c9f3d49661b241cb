"""The one resolver of the shared folder, and the repository's independence of any
machine: no tracked file names an absolute path of the machine it was written on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from devstack import shared_folder as resolver
from devstack.shared_folder import (
    REPOSITORY_ROOT,
    SharedFolderMissing,
    contracts,
    shared_folder,
)

# Built from pieces, so this file does not match itself.
MACHINE_PATHS = tuple(f"/{name}/" for name in ("work", "root", "home"))


def test_the_shared_folder_is_beside_the_repository(monkeypatch) -> None:
    monkeypatch.delenv(resolver.ENV_VAR, raising=False)
    assert shared_folder() == REPOSITORY_ROOT.parent / "shared"
    assert contracts("chatwoot", "swagger.json").is_file()


def test_the_environment_points_elsewhere(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "contracts" / "twenty").mkdir(parents=True)
    monkeypatch.setenv(resolver.ENV_VAR, str(tmp_path))
    assert shared_folder() == tmp_path.resolve()
    assert contracts("twenty") == tmp_path.resolve() / "contracts" / "twenty"


def test_a_missing_shared_folder_says_so_once_and_clearly(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(resolver.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(SharedFolderMissing, match=r"the shared folder \(\.\./shared beside"):
        shared_folder()


def test_a_missing_file_in_the_shared_folder_is_named(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(resolver.ENV_VAR, str(tmp_path))
    with pytest.raises(SharedFolderMissing, match="contracts/nothing"):
        contracts("nothing")


def test_no_tracked_file_names_an_absolute_machine_path() -> None:
    git = shutil.which("git")
    if git is None or not (REPOSITORY_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run([git, "ls-files", "-z"], cwd=REPOSITORY_ROOT, check=True,
                             capture_output=True).stdout.decode()
    offenders = []
    for name in filter(None, listing.split("\0")):
        path = REPOSITORY_ROOT / name
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), 1):
            if any(machine in line for machine in MACHINE_PATHS):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "absolute machine paths:\n" + "\n".join(offenders)
