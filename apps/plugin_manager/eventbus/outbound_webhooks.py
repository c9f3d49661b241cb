"""Sending one event to an outbound webhook subscription (subscriber "webhook:<id>").

The body carries the object's state as it is *now* (state transfer: a retry never sends
stale data); the receiver deduplicates on X-KGC-Event-Id, since delivery is at-least-once.
"""

from __future__ import annotations

import json
import threading
import time

import requests
from django.core.serializers.json import DjangoJSONEncoder

from . import conf
from .errors import classify_http_status, classify_request_exception
from .models import Event, WebhookSubscription
from .object_refs import load_object
from .object_state import object_state
from .signatures import kgc_signature_header

USER_AGENT = "KGC-ERP-Webhooks/1.0"
_local = threading.local()


def _session() -> requests.Session:
    # One keep-alive session per thread: most deliveries go to the same few hosts.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def build_body(event: Event, tenant_slug: str) -> bytes:
    data = object_state(load_object(event.object_type, event.object_id))
    document = {
        "id": str(event.uuid),
        "type": event.type,
        "tenant": tenant_slug,
        "occurred_at": event.occurred_at,
        "object": {"type": event.object_type, "id": event.object_id},
        "payload": event.payload,
        "data": data,
    }
    return json.dumps(
        document, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def send_webhook(subscription: WebhookSubscription, event: Event, tenant_slug: str) -> int:
    """POST the signed event; returns the 2xx status or raises a DeliveryError."""
    body = build_body(event, tenant_slug)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-KGC-Event-Id": str(event.uuid),
        "X-KGC-Event-Type": event.type,
        "X-KGC-Timestamp": str(timestamp),
        "X-KGC-Signature": kgc_signature_header(subscription.signing_secrets(), timestamp, body),
    }
    try:
        response = _session().post(
            subscription.target_url,
            data=body,
            headers=headers,
            timeout=conf.webhook_timeout(),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise classify_request_exception(exc) from exc
    error = classify_http_status(response.status_code, response.headers.get("Retry-After"))
    if error is not None:
        snippet = response.text[:200].strip()
        if snippet:
            error.message = f"{error.message}: {snippet}"
            error.args = (error.message,)
        raise error
    return response.status_code


__all__ = ("build_body", "send_webhook")
