"""Reading and writing Kokó's shipped weight files (`weights/*.json`).

`manage.py koko_train` writes them; the brain reads each once per process. A file
written for another feature list must not fail every decision: reading it gives None
(with a warning naming `koko_train`), and the brain then decides without that part,
more carefully (see decision.py and reranker.py for what each absence means).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

Weights = TypeVar("Weights")


def write_weights(path: Path, document: Mapping[str, Any], *, compact: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (json.dumps(document, separators=(",", ":")) if compact
            else json.dumps(document, indent=1, ensure_ascii=False))
    path.write_text(text + "\n")


def read_weights(path: Path, build: Callable[[Any], Weights], what: str) -> Weights | None:
    """`build(document)`, or None when the file is missing or its features do not match."""
    if not path.exists():
        return None
    try:
        return build(json.loads(path.read_text()))
    except ValueError:
        logger.warning("Kokó %s weights do not match the features; run koko_train", what)
        return None
