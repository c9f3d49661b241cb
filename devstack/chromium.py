"""Debian's Chromium for the browser tests (tests/browser), installed when missing.

Playwright's own browser download does not work here; the tests drive the system's
`/usr/bin/chromium` instead. `make test` calls `ensure_chromium()` before pytest: it
installs the package when it is missing and we are root (CI is), quietly and only once.
When it cannot, it says why; the browser tests then fail with the same message rather
than being skipped, because CI must run them.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("devstack.chromium")

CHROMIUM = Path("/usr/bin/chromium")
# Read by tests/browser to find the browser (and to explain a missing one).
ENV_PATH = "KGC_CHROMIUM"


def chromium_path() -> Path | None:
    configured = os.environ.get(ENV_PATH)
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    found = shutil.which("chromium")
    if found:
        return Path(found)
    return CHROMIUM if CHROMIUM.is_file() else None


def missing_message() -> str:
    return (
        "Chromium not found (the browser tests need Debian's chromium package at "
        f"{CHROMIUM}, or {ENV_PATH}=<path>). Install it with "
        "`apt-get update && apt-get install -y chromium` (make test does this as root)."
    )


def ensure_chromium() -> Path | None:
    """The Chromium binary, installing Debian's package first when needed and possible."""
    found = chromium_path()
    if found is not None or os.environ.get(ENV_PATH):
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        log.error("%s Not root (or no apt-get): cannot install it here.", missing_message())
        return None
    log.warning("chromium not found; installing Debian's chromium package (once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        log.error("%s Installing it failed: %s", missing_message(), exc)
        return None
    return chromium_path()
