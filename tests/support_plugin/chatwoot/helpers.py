"""Helpers of the Chatwoot integration tests: the sandbox's credentials, its API, and
what its store holds."""

from __future__ import annotations

from typing import Any

import requests

from sandboxes.chatwoot import SandboxHandle

API_TOKEN = "support-test-token"
PLATFORM_TOKEN = "support-test-platform-token"
ACCOUNT_ID = 1
WEBHOOK_SECRET = "support-test-webhook-secret"


def sandbox_json(handle: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, handle.url + path, timeout=10, **kwargs)
    response.raise_for_status()
    return response.json() if response.content else None


def account_api(handle: SandboxHandle, method: str, path: str, token: str = API_TOKEN,
        account_id: int = ACCOUNT_ID, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{handle.url}/api/v1/accounts/{account_id}{path}",
        headers={"api_access_token": token}, timeout=10, **kwargs,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def contacts_in(handle: SandboxHandle, account_id: int = ACCOUNT_ID) -> list[dict[str, Any]]:
    with handle.state.lock:
        return [
            {"id": c.id, "name": c.name, "email": c.email, "phone_number": c.phone_number,
             "identifier": c.identifier, "custom_attributes": dict(c.custom_attributes)}
            for c in handle.state.contacts.values() if c.account_id == account_id
        ]


def messages_in(handle: SandboxHandle, display_id: int,
                account_id: int = ACCOUNT_ID) -> list[dict[str, Any]]:
    with handle.state.lock:
        conversation = handle.state.conversation_by_display_id(account_id, display_id)
        assert conversation is not None
        return [{"id": m.id, "content": m.content, "private": m.private,
                 "source_id": m.source_id, "message_type": m.message_type}
                for m in handle.state.messages_of(conversation.id)]


def create_api_inbox(handle: SandboxHandle, name: str = "KGC értesítések",
                     webhook_url: str = "") -> dict[str, Any]:
    channel: dict[str, Any] = {"type": "api"}
    if webhook_url:
        channel["webhook_url"] = webhook_url
    return account_api(handle, "POST", "/inboxes", json={"name": name, "channel": channel})
