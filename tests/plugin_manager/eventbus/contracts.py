"""Webhook payloads and the signature test vector, read from the shared contracts."""

from __future__ import annotations

import json

from devstack.shared_folder import contracts

CONTRACTS = contracts()


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
