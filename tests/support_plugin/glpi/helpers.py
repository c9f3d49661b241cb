"""Helpers of the GLPI mirror tests: Chatwoot webhook bodies built from the contract
samples (``shared/contracts/chatwoot/webhooks``; only ids, texts and the account are
replaced), signed like Chatwoot signs them, and what the sandboxes hold."""

from __future__ import annotations

import copy
import json
import time
import uuid
from functools import cache
from typing import Any

import requests

from apps.plugin_manager.eventbus.models import Delivery
from apps.support_plugin.chatwoot.webhooks import SIGNATURE
from devstack.shared_folder import contracts
from sandboxes.glpi.server import SandboxHandle as GlpiHandle
from tests.support_plugin.chatwoot.helpers import ACCOUNT_ID, WEBHOOK_SECRET

APP_TOKEN = "glpi-test-app-token"
USER_TOKEN = "glpi-test-user-token"
API_USER_ID = 31
TECHNICIAN_ID = 4


@cache
def _sample(name: str) -> dict[str, Any]:
    return json.loads(contracts("chatwoot", "webhooks", f"{name}.json").read_text())


def _conversation(conversation_id: int, contact: dict[str, Any], status: str = "open",
                  labels: list[str] | None = None) -> dict[str, Any]:
    body = copy.deepcopy(_sample("conversation_created"))
    body.pop("event")
    body["id"] = conversation_id
    body["account"]["id"] = ACCOUNT_ID
    body["status"] = status
    body["labels"] = labels or []
    sender = {**body["meta"]["sender"], **contact}
    body["meta"]["sender"] = sender
    body["custom_attributes"] = {}
    for message in body["messages"]:
        message["conversation_id"] = conversation_id
        message["account_id"] = ACCOUNT_ID
        message["sender"] = sender
        message["sender_id"] = sender["id"]
    return body


def conversation_created(conversation_id: int, contact: dict[str, Any], *, message_id: int,
                         content: str, labels: list[str] | None = None) -> dict[str, Any]:
    body = _conversation(conversation_id, contact, labels=labels)
    body["messages"][0].update(id=message_id, content=content,
                               processed_message_content=content)
    return {**body, "event": "conversation_created"}


def message_created(conversation_id: int, contact: dict[str, Any], *, message_id: int,
                    content: str, kind: str = "incoming",
                    source_id: str | None = None) -> dict[str, Any]:
    """``kind``: incoming (the customer), outgoing (an agent), private (an agent's private
    note), bot (an agent bot's outgoing message)."""
    body = copy.deepcopy(_sample("message_created"))
    conversation = _conversation(conversation_id, contact)
    conversation["messages"][0].update(id=message_id, content=content)
    body.update(id=message_id, content=content, conversation=conversation,
                source_id=source_id)
    body["account"]["id"] = ACCOUNT_ID
    if kind == "incoming":
        body["sender"] = {**body["sender"], **contact}
    else:
        # An agent's (or bot's) sender, as in the status sample's last message (NOTES §10.3).
        agent = copy.deepcopy(_sample("conversation_status_changed")["messages"][0]["sender"])
        if kind == "bot":
            agent.update(type="agent_bot", name="Kokó")
        body.update(message_type="outgoing", private=kind == "private", sender=agent)
    return body


def status_changed(conversation_id: int, contact: dict[str, Any], status: str) -> dict[str, Any]:
    body = copy.deepcopy(_sample("conversation_status_changed"))
    base = _conversation(conversation_id, contact, status=status)
    body.update({k: v for k, v in base.items() if k not in ("messages",)})
    body["account"]["id"] = ACCOUNT_ID
    return body


def post_webhook(live_server_url: str, tenant_slug: str, payload: dict[str, Any],
                 delivery_id: str | None = None) -> requests.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    response = requests.post(
        f"{live_server_url}/webhooks/chatwoot/{tenant_slug}/", data=body, timeout=10,
        headers={"Content-Type": "application/json",
                 "X-Chatwoot-Delivery": delivery_id or str(uuid.uuid4()),
                 "X-Chatwoot-Timestamp": timestamp,
                 "X-Chatwoot-Signature": SIGNATURE.sign(WEBHOOK_SECRET, timestamp, body)})
    assert response.status_code == 200, response.text
    return response


def tickets(handle: GlpiHandle) -> list[dict[str, Any]]:
    return [t for t in handle.state()["records"]["Ticket"] if not t.get("is_deleted")]


def followups(handle: GlpiHandle, ticket_id: int) -> list[dict[str, Any]]:
    return [f for f in handle.state()["records"]["ITILFollowup"] if f["items_id"] == ticket_id]


def glpi_deliveries_settled() -> bool:
    return not Delivery.objects.filter(subscriber="glpi", status="pending").exists()
