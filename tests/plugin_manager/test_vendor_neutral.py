"""The plugin manager and its event bus hold mechanisms only: no vendor is named in them.

A connector declares its own signature scheme, inbound source, payload schemas and emitted
events in its own package; a third vendor must never need an edit here.
"""

from __future__ import annotations

import re
from pathlib import Path

import apps.plugin_manager

VENDORS = re.compile(r"chatwoot|twenty|glpi|krayin|gemini|kok[oó]", re.IGNORECASE)
CHECKED_SUFFIXES = {".py", ".html", ".md", ".txt", ".json"}


def test_the_plugin_manager_names_no_vendor() -> None:
    root = Path(apps.plugin_manager.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in CHECKED_SUFFIXES or "__pycache__" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if VENDORS.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not offenders, "vendor names in the plugin manager:\n" + "\n".join(offenders)
