"""The contract of an inbound webhook source, declared by a plugin in its manifest.

A plugin lists its sources in ``webhook_sources = {"chatwoot": "dotted.path.ChatwootSource"}``;
each becomes ``POST /webhooks/<name>/`` (or ``/webhooks/<name>/<tenant_slug>/`` when
``tenant_scoped``). The endpoint runs, in this order:

1. ``secret_for(tenant)``: no secret configured -> refused (401), nothing stored.
2. ``verify(headers, raw_body, secret, now)`` on the raw bytes -> 401 unless ok.
3. JSON parse (object expected) and ``event_type(payload)`` -> 400 if either fails.
4. ``check_tenant(tenant, payload)``: the dispatch hook, e.g. "the payload's account id is
   the account configured for this tenant" -> 403 with the returned reason.
5. The raw delivery is stored, deduplicated by the delivery id of the verification (or a
   hash of the body): a replay -> 401.
6. Event type in ``handlers`` -> 200 and processed later by a task calling
   ``handle(delivery: InboundDelivery, payload: dict) -> None``; not in ``handlers`` ->
   200, stored as ignored and logged.

Handlers may raise any exception: the inbox retries with backoff up to the maximum
number of attempts, then marks the delivery failed (visible in the admin). They must be
idempotent, since a retry calls them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from kgc_erp.tenants.models import Tenant

from ..signatures import Verification, verify_chatwoot, verify_twenty


class InboundSource:
    name: str = ""
    # The plugin that owns the source; set by the registry from the manifest.
    plugin_id: str = ""
    # True: URL carries the tenant slug and secrets are per tenant (Chatwoot accounts).
    tenant_scoped: bool = False
    # event type -> dotted path of `def handle(delivery, payload) -> None`.
    handlers: Mapping[str, str] = {}
    # Request headers kept with the stored delivery (signatures and ids; never auth tokens).
    stored_headers: Sequence[str] = ()

    def secret_for(self, tenant: Tenant | None) -> str | None:
        """The shared secret for this tenant (None/empty: refuse every request)."""
        raise NotImplementedError

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime
    ) -> Verification:
        raise NotImplementedError

    def event_type(self, payload: dict) -> str:
        """The event name in the payload; raise KeyError/TypeError/ValueError if absent."""
        raise NotImplementedError

    def check_tenant(self, tenant: Tenant | None, payload: dict) -> str | None:
        """Dispatch hook: a reason to refuse a verified payload for this tenant, or None."""
        return None


class ChatwootSource(InboundSource):
    """Chatwoot's format (NOTES.md §10): subclasses add secret_for, handlers, check_tenant."""

    tenant_scoped = True
    stored_headers = (
        "Content-Type",
        "User-Agent",
        "X-Chatwoot-Delivery",
        "X-Chatwoot-Timestamp",
        "X-Chatwoot-Signature",
    )

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime
    ) -> Verification:
        return verify_chatwoot(headers, raw_body, secret, now)

    def event_type(self, payload: dict) -> str:
        event = payload["event"]
        if not isinstance(event, str) or not event:
            raise ValueError("event must be a non-empty string")
        return event


class TwentySource(InboundSource):
    """Twenty's format (NOTES.md §6): subclasses add secret_for and handlers."""

    tenant_scoped = False
    stored_headers = (
        "Content-Type",
        "User-Agent",
        "X-Twenty-Webhook-Timestamp",
        "X-Twenty-Webhook-Signature",
        "X-Twenty-Webhook-Nonce",
    )

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime
    ) -> Verification:
        return verify_twenty(headers, raw_body, secret, now)

    def event_type(self, payload: dict) -> str:
        event = payload["eventName"]
        if not isinstance(event, str) or not event:
            raise ValueError("eventName must be a non-empty string")
        return event


__all__ = ("ChatwootSource", "InboundSource", "TwentySource")
