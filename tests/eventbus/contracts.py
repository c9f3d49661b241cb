"""Webhook payloads and the signature test vector, read from the shared contracts."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# A copy inside the repository wins; otherwise the shared folder beside it.
CONTRACTS = next(
    (p for p in (REPO / "contracts", REPO.parent / "shared" / "contracts") if p.is_dir()),
    REPO.parent / "shared" / "contracts",
)


def chatwoot_webhook(name: str) -> bytes:
    """A Chatwoot webhook body as Chatwoot sends it (compact JSON of the contract file)."""
    payload = json.loads((CONTRACTS / "chatwoot" / "webhooks" / f"{name}.json").read_text())
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def twenty_webhook(name: str) -> bytes:
    payload = json.loads((CONTRACTS / "twenty" / "webhooks" / f"{name}.json").read_text())
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def twenty_test_vector() -> dict:
    path = CONTRACTS / "twenty" / "webhooks" / "signature-test-vector.json"
    return json.loads(path.read_text())
