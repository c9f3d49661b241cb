"""Outgoing webhooks: payload shape, signature and a background sender (NOTES section 6).

Twenty's worker POSTs each event to every matching webhook with a 5 s timeout and never
retries; the sandbox does the same from one daemon thread and keeps a delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from sandboxes.twenty.clock import now_iso
from sandboxes.twenty.operations import RecordEvent

DELIVERY_TIMEOUT_SECONDS = 5.0


def sign(secret: str, timestamp_ms: str, raw_body: bytes) -> str:
    """CallWebhookJob.generateSignature: hex HMAC-SHA256(secret, "<timestamp>:<body>")."""
    message = timestamp_ms.encode() + b":" + raw_body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def encode_body(payload: dict[str, Any]) -> bytes:
    """Serialise like JSON.stringify: no spaces, non-ASCII characters left as they are."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def operation_matches(pattern: str, event_name: str) -> bool:
    """`object.action`, `*.action`, `object.*` and `*.*` (call-webhook-jobs.job.ts)."""
    p_object, _, p_action = pattern.partition(".")
    e_object, _, e_action = event_name.partition(".")
    return p_object in ("*", e_object) and p_action in ("*", e_action)


def normalize_target_url(url: str) -> str | None:
    """`new URL(url).toString()`: scheme and host lower-cased, a bare host gets a slash."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme.lower()}://{netloc}{path}{query}{fragment}"


def build_payload(
    event: RecordEvent, webhook: dict[str, Any], workspace_id: str, user_id: str | None
) -> dict[str, Any]:
    """Keys in Twenty's order; userId/workspaceMemberId only for changes made in the UI."""
    payload: dict[str, Any] = {
        "targetUrl": webhook["targetUrl"],
        "eventName": event.event_name,
        "objectMetadata": {"id": event.object_id, "nameSingular": event.object_name},
        "workspaceId": workspace_id,
        "webhookId": webhook["id"],
        "eventDate": now_iso(),
    }
    if event.actor.workspace_member_id is not None:
        payload["userId"] = user_id
        payload["workspaceMemberId"] = event.actor.workspace_member_id
    payload["record"] = event.record
    if event.updated_fields is not None:
        payload["updatedFields"] = event.updated_fields
    return payload


@dataclass
class Delivery:
    webhook_id: str
    target_url: str
    event_name: str
    record_id: str | None
    timestamp: str
    status: int | None = None
    error: str | None = None
    body: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "webhookId": self.webhook_id,
            "targetUrl": self.target_url,
            "eventName": self.event_name,
            "recordId": self.record_id,
            "timestamp": self.timestamp,
            "status": self.status,
            "error": self.error,
            "body": self.body,
        }


@dataclass
class _Job:
    event: RecordEvent
    webhook: dict[str, Any]
    workspace_id: str
    user_id: str | None


class WebhookDispatcher:
    """Sends queued webhook calls from one daemon thread, as Twenty's worker does."""

    def __init__(self, *, allowed_hosts: frozenset[str] | None = None) -> None:
        # None: every host is allowed. Otherwise only these hostnames get calls, like
        # OUTBOUND_HTTP_ALLOWED_INTERNAL_HOSTS; others are dropped silently.
        self.allowed_hosts = allowed_hosts
        self.deliveries: deque[Delivery] = deque(maxlen=5000)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._session = requests.Session()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="twenty-webhooks", daemon=True)
        self._thread.start()

    def enqueue(
        self,
        events: list[RecordEvent],
        webhooks: list[dict[str, Any]],
        workspace_id: str,
        user_id: str | None,
    ) -> None:
        for event in events:
            for webhook in webhooks:
                if webhook.get("deletedAt"):
                    continue
                if any(operation_matches(op, event.event_name) for op in webhook["operations"]):
                    with self._idle:
                        self._pending += 1
                    self._queue.put(_Job(event, dict(webhook), workspace_id, user_id))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued call has been attempted (tests use this)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=DELIVERY_TIMEOUT_SECONDS + 1)
        self._session.close()

    def clear_log(self) -> None:
        self.deliveries.clear()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._deliver(job)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, job: _Job) -> None:
        payload = build_payload(job.event, job.webhook, job.workspace_id, job.user_id)
        body = encode_body(payload)
        delivery = Delivery(
            job.webhook["id"],
            job.webhook["targetUrl"],
            job.event.event_name,
            job.event.record.get("id"),
            payload["eventDate"],
            body=body.decode(),
        )
        self.deliveries.append(delivery)
        host = urlsplit(job.webhook["targetUrl"]).hostname or ""
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            delivery.error = "blocked by the outbound host allow-list (dropped silently)"
            return
        headers = {"Content-Type": "application/json"}
        secret = job.webhook.get("secret")
        if secret:
            timestamp = str(int(time.time() * 1000))
            headers["X-Twenty-Webhook-Timestamp"] = timestamp
            headers["X-Twenty-Webhook-Signature"] = sign(secret, timestamp, body)
            headers["X-Twenty-Webhook-Nonce"] = secrets.token_hex(16)
        try:
            response = self._session.post(
                job.webhook["targetUrl"],
                data=body,
                headers=headers,
                timeout=DELIVERY_TIMEOUT_SECONDS,
            )
            delivery.status = response.status_code
        except requests.RequestException as exc:
            # Twenty only writes an audit event for a failed call; there is no retry.
            delivery.error = f"{type(exc).__name__}: {exc}"
