"""The event bus's interface document names real code: every dotted path in it imports.

INTERFACES.md carries the outbound and inbound traces a newcomer follows; a module moved or
a function renamed without updating the page fails here.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import apps.plugin_manager.eventbus

DOCUMENT = Path(apps.plugin_manager.eventbus.__file__).parent / "INTERFACES.md"
DOTTED = re.compile(r"`((?:apps|kgc_erp)(?:\.[A-Za-z_]\w*)+)`")
TRACE_STEP = re.compile(r"^\d+\. ", re.MULTILINE)


def _resolve(path: str) -> object:
    """Import the longest module prefix, then walk the remaining attributes."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(path)


def _paths() -> list[str]:
    return sorted(set(DOTTED.findall(DOCUMENT.read_text(encoding="utf-8"))))


def test_the_document_names_paths() -> None:
    assert len(_paths()) > 30


@pytest.mark.parametrize("path", _paths())
def test_every_named_path_imports(path: str) -> None:
    assert _resolve(path) is not None


def _section(title: str) -> str:
    text = DOCUMENT.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_the_outbound_trace_is_at_most_15_hops() -> None:
    steps = TRACE_STEP.findall(_section("Outbound trace"))
    assert 0 < len(steps) <= 15


def test_the_inbound_trace_is_listed() -> None:
    assert len(TRACE_STEP.findall(_section("Inbound trace"))) > 0
