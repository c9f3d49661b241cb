"""Webhook management as Twenty v2 exposes it on /metadata (NOTES section 5)."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from sandboxes.twenty.clock import now_iso
from sandboxes.twenty.errors import ErrorCode, TwentyError, bad_input
from sandboxes.twenty.scalars import is_valid_uuid
from sandboxes.twenty.webhooks import normalize_target_url
from sandboxes.twenty.workspace import Workspace

_OPERATION = re.compile(r"^(\*|[a-z][a-zA-Z0-9]*)\.(\*|[a-z]+)$")


def _validated_operations(operations: Any) -> list[str]:
    if not isinstance(operations, list) or not operations:
        raise bad_input("operations should not be empty")
    for op in operations:
        if not isinstance(op, str) or not _OPERATION.match(op):
            raise bad_input(
                f"Invalid webhook operation {op!r}: use object.action, e.g. person.created"
            )
    return list(operations)


def _validated_url(url: Any) -> str:
    normalized = normalize_target_url(str(url or ""))
    if normalized is None:
        raise TwentyError(
            "Invalid target URL provided",
            ErrorCode.BAD_USER_INPUT,
            sub_code="INVALID_TARGET_URL",
            user_friendly_message="Please provide a valid HTTP or HTTPS URL.",
        )
    return normalized


def _not_found() -> TwentyError:
    return TwentyError(
        "Webhook not found",
        ErrorCode.NOT_FOUND,
        sub_code="WEBHOOK_NOT_FOUND",
        user_friendly_message="Webhook not found.",
    )


def create_webhook(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    webhook_id = data.get("id") or str(uuid.uuid4())
    if not is_valid_uuid(webhook_id):
        raise bad_input(f'Value "{webhook_id}" is not a valid UUID')
    if webhook_id in ws.webhooks:
        raise bad_input("Webhook already exists")
    now = now_iso()
    webhook = {
        "id": webhook_id,
        "targetUrl": _validated_url(data.get("targetUrl")),
        "operations": _validated_operations(data.get("operations")),
        "description": data.get("description"),
        # An omitted secret is generated: randomBytes(32).toString('hex').
        "secret": data.get("secret") or secrets.token_hex(32),
        "applicationId": ws.application_id,
        "createdAt": now,
        "updatedAt": now,
        "deletedAt": None,
    }
    ws.webhooks[webhook_id] = webhook
    return webhook


def update_webhook(ws: Workspace, webhook_id: str, update: dict[str, Any]) -> dict[str, Any]:
    webhook = ws.webhooks.get(webhook_id)
    if webhook is None:
        raise _not_found()
    if update.get("targetUrl") is not None:
        webhook["targetUrl"] = _validated_url(update["targetUrl"])
    if update.get("operations") is not None:
        webhook["operations"] = _validated_operations(update["operations"])
    for key in ("description", "secret"):
        if update.get(key) is not None:
            webhook[key] = update[key]
    webhook["updatedAt"] = now_iso()
    return webhook


def delete_webhook(ws: Workspace, webhook_id: str) -> dict[str, Any]:
    webhook = ws.webhooks.pop(webhook_id, None)
    if webhook is None:
        raise _not_found()
    return webhook
