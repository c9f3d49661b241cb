"""Where the shared folder is: the one resolver every part of the project uses.

The product leans on a folder kept beside the repository, ``../shared`` (the design, the
outside systems' contracts). It is found relative to this repository's root, wherever the
clone is; ``KGC_SHARED_DIR`` points elsewhere when it is not beside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
ENV_VAR = "KGC_SHARED_DIR"


class SharedFolderMissing(RuntimeError):
    """The shared folder (or a path inside it) is not where it should be."""


def shared_folder() -> Path:
    """The shared folder: ``$KGC_SHARED_DIR`` if set, else ``shared`` beside the repository."""
    override = os.environ.get(ENV_VAR)
    folder = Path(override).expanduser().resolve() if override else (
        REPOSITORY_ROOT.parent / "shared"
    )
    if not folder.is_dir():
        raise SharedFolderMissing(
            f"the shared folder (../shared beside the repository) is missing: {folder} is not "
            f"a directory. Put the shared folder beside the repository or set {ENV_VAR}."
        )
    return folder


def shared_path(*parts: str) -> Path:
    """A path inside the shared folder, which must exist."""
    path = shared_folder().joinpath(*parts)
    if not path.exists():
        raise SharedFolderMissing(f"the shared folder has no {'/'.join(parts)}: {path}")
    return path


def contracts(*parts: str) -> Path:
    """A path under the shared folder's ``contracts/`` (the outside systems' API facts)."""
    return shared_path("contracts", *parts)
