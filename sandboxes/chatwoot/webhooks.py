"""Outbound webhooks, sent for real from a background thread (NOTES §10.1-§10.2).

Targets: account webhooks subscribed to the event, and the ``webhook_url`` of an API inbox
for inbox-scoped events. Each request is signed when the target has a secret:
``X-Chatwoot-Signature: sha256=hex(HMAC-SHA256(secret, "<X-Chatwoot-Timestamp>.<raw body>"))``,
with a fresh ``X-Chatwoot-Delivery`` uuid per delivery. One attempt, no retry (account and
API-inbox webhooks); a failed API-inbox ``message_created``/``message_updated`` marks the
message ``failed`` with ``content_attributes.external_error``. Every attempt is recorded in
``store.deliveries``.

The sandbox deliberately skips Chatwoot's SSRF guard (it refuses private addresses unless
``SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true``): tests receive on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .encoding import rails_json
from .events import INBOX_SCOPED_EVENTS, EventLog, OutgoingEvent
from .models import API_CHANNEL, WebhookDelivery
from .state import Store
from .timestamps import now
from .tokens import new_uuid


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-Chatwoot-Signature`` for one attempt."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a non-2xx answer for Chatwoot's webhook job: do not follow it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class _Job:
    generation: int
    delivery: WebhookDelivery
    secret: str | None
    body: bytes
    message_id: int | None


class WebhookDispatcher:
    """Queue + one worker thread, so deliveries leave in the order events happened."""

    def __init__(self, store: Store, timeout: float) -> None:
        self._store = store
        self._timeout = timeout
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._generation = 0
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        # Proxies from the environment must not intercept deliveries to 127.0.0.1.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="chatwoot-sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)

    def drop_pending(self) -> None:
        """Forget queued deliveries (sandbox reset): they belong to state that is gone."""
        with self._idle:
            self._generation += 1

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted. Returns False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    # -- publishing ----------------------------------------------------------------------------

    def publish(self, events: EventLog) -> None:
        """Turn domain events into deliveries (one per subscribed target) and queue them."""
        if not events:
            return
        jobs: list[_Job] = []
        with self._store.lock, self._idle:
            for event in events:
                jobs.extend(self._jobs_for(event))
            self._pending += len(jobs)
        for job in jobs:
            self._queue.put(job)

    def _jobs_for(self, event: OutgoingEvent) -> list[_Job]:
        store = self._store
        body = rails_json(event.payload)
        targets: list[tuple[str, int, str, str | None]] = [
            ("account_webhook", hook.id, hook.url, hook.secret)
            for hook in sorted(store.webhooks.values(), key=lambda h: h.id)
            if hook.account_id == event.account_id and event.event in hook.subscriptions
        ]
        inbox = store.inboxes.get(event.inbox_id) if event.inbox_id else None
        if (
            inbox is not None
            and inbox.channel_type == API_CHANNEL
            and inbox.webhook_url
            and event.event in INBOX_SCOPED_EVENTS
        ):
            targets.append(("api_inbox", inbox.id, inbox.webhook_url, inbox.secret))
        jobs = []
        for kind, target_id, url, secret in targets:
            delivery = WebhookDelivery(
                delivery_id=new_uuid(),
                target=kind,
                target_id=target_id,
                url=url,
                event=event.event,
                account_id=event.account_id,
                body=body.decode("utf-8"),
                signed=bool(secret),
                queued_at=now(),
            )
            store.deliveries.append(delivery)
            message_id = event.message_id if kind == "api_inbox" else None
            jobs.append(_Job(self._generation, delivery, secret, body, message_id))
        return jobs

    # -- sending -------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if job.generation == self._generation:
                    self._send(job)
                else:
                    job.delivery.state = "dropped"
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _send(self, job: _Job) -> None:
        delivery = job.delivery
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Chatwoot-Delivery": delivery.delivery_id,
        }
        if job.secret:
            timestamp = str(int(time.time()))
            headers["X-Chatwoot-Timestamp"] = timestamp
            headers["X-Chatwoot-Signature"] = signature(job.secret, timestamp, job.body)
        request = urllib.request.Request(
            delivery.url, data=job.body, headers=headers, method="POST"
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            error = str(getattr(exc, "reason", exc)) or exc.__class__.__name__
        ok = status is not None and 200 <= status < 300
        with self._store.lock:
            delivery.status_code = status
            delivery.error = None if ok else error or f"HTTP {status}"
            delivery.duration = round(time.monotonic() - started, 4)
            delivery.state = "delivered" if ok else "failed"
            if not ok and job.message_id is not None and job.generation == self._generation:
                self._mark_message_failed(job.message_id, delivery.error or "")

    def _mark_message_failed(self, message_id: int, reason: str) -> None:
        message = self._store.messages.get(message_id)
        if message is not None:
            message.status = "failed"
            message.content_attributes = {**message.content_attributes, "external_error": reason}
            message.updated_at = now()
