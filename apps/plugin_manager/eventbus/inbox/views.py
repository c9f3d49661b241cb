"""The inbound webhook endpoint: ``POST /webhooks/<source>/[<tenant_slug>/]``.

Verify, store, acknowledge; never process here (see sources.py for the exact order and
status codes). Nothing answers 500: an unavailable database answers 503 so the sender
retries, and every refusal is logged with its reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import BinaryIO

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from apps.plugin_manager import runtime, snapshot
from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.inbox.group_commit import group_commit
from apps.plugin_manager.eventbus.inbox.registry import get_source
from apps.plugin_manager.eventbus.inbox.request_headers import EnvironHeaders
from apps.plugin_manager.eventbus.inbox.sources import InboundSource
from apps.plugin_manager.eventbus.inbox.storage import AcceptedRow
from apps.plugin_manager.eventbus.inbox.tenants import active_tenant
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.plugin_manager.eventbus.signatures import Verification
from kgc_erp.tenants.models import Tenant

logger = logging.getLogger("kgc.eventbus.inbox")

Status = InboundDelivery.Status
REFUSED_BODY_KEEP_BYTES = 4096
# A source switched off, or a secret changed, in another process is seen by the inbox
# within this bound (this process's own changes at once). Skipping the shared-version
# read on every webhook raised the inbox's throughput by about a quarter (docs/benchmarks.md).
STATE_STALENESS_SECONDS = 1.0


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _response(http_status: int, **body: object) -> HttpResponse:
    return JsonResponse(body, status=http_status)


# The two answers of an acknowledgement, encoded once (JsonResponse's encoder per request
# was a measurable share of the inbox's own CPU).
_ACCEPTED = json.dumps({"status": "accepted"}).encode()
_IGNORED = json.dumps({"status": "ignored"}).encode()


def _acknowledged(status: str) -> HttpResponse:
    return HttpResponse(_IGNORED if status == Status.IGNORED else _ACCEPTED,
                        content_type="application/json")


def _kept_headers(source: InboundSource, request: HttpRequest) -> dict[str, str]:
    headers = EnvironHeaders(request.META)
    kept = {}
    for name in source.stored_headers:
        value = headers.get(name)
        if value is not None:
            kept[name] = value
    return kept


def _resolve_tenant(source: InboundSource, tenant_slug: str | None) -> Tenant | None:
    if source.tenant_scoped != (tenant_slug is not None):
        raise Refusal(404, "tenant_scope_mismatch")
    if tenant_slug is None:
        return None
    tenant = active_tenant(tenant_slug)
    if tenant is None:
        raise Refusal(404, "unknown_tenant")
    return tenant


def _read_body(request: HttpRequest) -> bytes:
    limit = tuning.inbox_max_body_bytes()
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        # No Content-Length: Django's request stream reads nothing then, so read the
        # server's de-chunked input directly (gunicorn and werkzeug both provide one).
        raw = _read_limited(request.META["wsgi.input"], limit + 1)
    else:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Refusal(400, "bad_content_length") from None
        if declared > limit:
            raise Refusal(413, "body_too_large")
        raw = request.read(limit + 1)
    if len(raw) > limit:
        raise Refusal(413, "body_too_large")
    return raw


def _read_limited(stream: BinaryIO, most: int) -> bytes:
    parts: list[bytes] = []
    remaining = most
    while remaining > 0:
        part = stream.read(min(remaining, 64 * 1024))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _verify(
    source: InboundSource, tenant: Tenant | None, request: HttpRequest, raw: bytes
) -> Verification:
    secret = source.secret_for(tenant)
    if not secret:
        raise Refusal(401, "no_secret_configured")
    try:
        verification = source.verify(EnvironHeaders(request.META), raw, secret,
                                     timezone.now())
    except Exception:  # a verifier bug must refuse, not crash
        logger.exception("eventbus.inbox.verifier-error source=%s", source.name)
        raise Refusal(401, "verifier_error") from None
    if not verification.ok:
        raise Refusal(401, verification.reason)
    return verification


def _parse(raw: bytes) -> dict:
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "malformed_json") from None
    if not isinstance(payload, dict):
        raise Refusal(400, "json_not_an_object")
    return payload


def _store_refusal(
    source: InboundSource,
    tenant: Tenant | None,
    request: HttpRequest,
    raw: bytes,
    refusal: Refusal,
    verification: Verification | None,
) -> None:
    try:
        InboundDelivery.objects.create(
            source=source.name,
            tenant=tenant,
            delivery_id=(verification.delivery_id or "")[:200] if verification else "",
            dedupe_key="sha256:" + hashlib.sha256(raw).hexdigest(),
            headers=_kept_headers(source, request),
            raw_body=raw[:REFUSED_BODY_KEEP_BYTES],
            body_size=len(raw),
            verification=refusal.reason[:40],
            last_error=refusal.reason[:2000],
            signed_at=verification.timestamp if verification else None,
            status=Status.REFUSED,
            response_status=refusal.status,
        )
    except DatabaseError:
        logger.warning("eventbus.inbox.refusal-not-stored source=%s", source.name, exc_info=True)


def _accept(
    source: InboundSource,
    tenant: Tenant | None,
    request: HttpRequest,
    raw: bytes,
    verification: Verification,
    event_type: str,
) -> str:
    """Store the delivery; returns its status (received / ignored). Raises on a replay."""
    if verification.delivery_id:
        dedupe_key = "id:" + verification.delivery_id[:190]
    else:
        dedupe_key = "sha256:" + hashlib.sha256(raw).hexdigest()
    handled = event_type in source.handlers
    row = AcceptedRow(
        source=source.name,
        tenant_id=tenant.pk if tenant else None,
        delivery_id=(verification.delivery_id or "")[:200],
        dedupe_key=dedupe_key,
        event_type=event_type[:100],
        headers=_kept_headers(source, request),
        raw_body=raw,
        verification=verification.reason,
        signed_at=verification.timestamp,
        status=Status.RECEIVED if handled else Status.IGNORED,
        processed=not handled,
    )
    # Committed (with the rows of concurrent requests) before this returns.
    inbound_id = group_commit.store(row)
    if inbound_id is None:
        raise Refusal(401, "replayed")
    if not handled:
        logger.info("eventbus.inbox.ignored source=%s event=%s id=%s", source.name,
                    event_type, inbound_id)
    return row.status


@dataclass
class Received:
    """What the checks have established so far (a refusal stores what there is)."""

    tenant: Tenant | None = None
    raw: bytes = b""
    verification: Verification | None = None
    event_type: str = ""


def check_delivery(
    request: HttpRequest, source: InboundSource, tenant_slug: str | None, received: Received
) -> Verification:
    """Steps 1-5 of sources.py, filling `received` as they pass; raises Refusal."""
    # Is the source on, its secret, the account check: one plugin-state snapshot,
    # confirmed against the shared version at most once a second per process.
    with snapshot.pin(max_staleness=STATE_STALENESS_SECONDS):
        received.tenant = tenant = _resolve_tenant(source, tenant_slug)
        if not runtime.is_enabled(source.plugin_id, tenant.pk if tenant else None):
            raise Refusal(404, "source_disabled")
        received.raw = _read_body(request)
        received.verification = verification = _verify(source, tenant, request, received.raw)
        payload = _parse(received.raw)
        try:
            received.event_type = source.event_type(payload)
        except (KeyError, TypeError, ValueError):
            raise Refusal(400, "missing_event_type") from None
        if received.event_type in source.handlers:
            problems = source.payload_problems(received.event_type, payload)
            if problems:
                raise Refusal(400, "invalid_payload: " + "; ".join(problems))
        reason = source.check_tenant(tenant, payload)
        if reason:
            raise Refusal(403, reason)
    return verification


def _receive(request: HttpRequest, source_name: str, tenant_slug: str | None) -> HttpResponse:
    source = get_source(source_name)
    if source is None:
        logger.info("eventbus.inbox.unknown-source source=%s", source_name)
        return _response(404, error="unknown_source")
    if request.method != "POST":
        return _response(405, error="method_not_allowed")
    received = Received()
    try:
        verification = check_delivery(request, source, tenant_slug, received)
        status = _accept(source, received.tenant, request, received.raw, verification,
                         received.event_type)
    except Refusal as refusal:
        logger.warning(
            "eventbus.inbox.refused source=%s tenant=%s status=%s reason=%s",
            source.name,
            tenant_slug or "-",
            refusal.status,
            refusal.reason,
        )
        if refusal.status in (400, 401, 403):
            _store_refusal(source, received.tenant, request, received.raw, refusal,
                           received.verification)
        return _response(refusal.status, error=refusal.reason)
    return _acknowledged(status)


@csrf_exempt
def receive_webhook(
    request: HttpRequest, source: str, tenant_slug: str | None = None
) -> HttpResponse:
    try:
        return _receive(request, source, tenant_slug)
    except DatabaseError:
        logger.exception("eventbus.inbox.database-unavailable source=%s", source)
        return _response(503, error="temporarily_unavailable")
    except Exception:  # the last line of "never a 500": the sender retries a 503
        logger.exception("eventbus.inbox.unexpected-error source=%s", source)
        return _response(503, error="temporarily_unavailable")
