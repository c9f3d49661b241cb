"""The contract of an inbound webhook source, declared by a connector in its plugin manifest.

A plugin lists its sources in ``webhook_sources = {"<name>": "dotted.path.SourceClass"}``;
each becomes ``POST /webhooks/<name>/`` (or ``/webhooks/<name>/<tenant_slug>/`` when
``tenant_scoped``). The endpoint runs, in this order:

1. ``secret_for(tenant)``: no secret configured -> refused (401), nothing stored.
2. ``verify(headers, raw_body, secret, now)`` on the raw bytes -> 401 unless ok.
3. JSON parse (object expected) and ``event_type(payload)`` -> 400 if either fails.
4. ``payload_problems(event_type, payload)``: the fields the event's handler reads are
   present and typed (``schemas``) -> 400 with the problems otherwise.
5. ``check_tenant(tenant, payload)``: the dispatch hook, e.g. "the payload's account id is
   the account configured for this tenant" -> 403 with the returned reason.
6. The raw delivery is stored, deduplicated by the delivery id of the verification (or a
   hash of the body): a replay -> 401.
7. Event type in ``handlers`` -> 200 and processed later by a task calling
   ``handle(delivery: InboundDelivery, payload: dict) -> None``; not in ``handlers`` ->
   200, stored as ignored and logged.

Handlers signal failures like delivery handlers do (``eventbus.errors``): a
``PermanentDeliveryError`` fails the delivery at once, anything else is retried with
backoff up to the maximum number of attempts. They must be idempotent, since a retry calls
them again.

The bus knows no vendor: a connector describes its sender with ``SignedJsonSource`` (a
``SignatureScheme`` and the payload field naming the event) or implements ``verify`` and
``event_type`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from apps.plugin_manager.eventbus.inbox.payload_schema import PayloadSchema
from apps.plugin_manager.eventbus.signatures import SignatureScheme, Verification
from kgc_erp.tenants.models import Tenant


class InboundSource:
    name: str = ""
    # The plugin that owns the source; set by the registry from the manifest.
    plugin_id: str = ""
    # True: URL carries the tenant slug and secrets are per tenant (one account per store).
    tenant_scoped: bool = False
    # event type -> dotted path of `def handle(delivery, payload) -> None`.
    handlers: Mapping[str, str] = {}
    # event type -> the fields its handler reads (checked before the delivery is stored).
    schemas: Mapping[str, PayloadSchema] = {}
    # Request headers kept with the stored delivery (signatures and ids; never auth tokens).
    stored_headers: Sequence[str] = ()

    def secret_for(self, tenant: Tenant | None) -> str | None:
        """The shared secret for this tenant (None/empty: refuse every request)."""
        raise NotImplementedError

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime
    ) -> Verification:
        raise NotImplementedError

    def event_type(self, payload: dict[str, Any]) -> str:
        """The event name in the payload; raise KeyError/TypeError/ValueError if absent."""
        raise NotImplementedError

    def payload_problems(self, event_type: str, payload: Mapping[str, object]) -> list[str]:
        """What is wrong with a handled event's payload (empty: nothing)."""
        schema = self.schemas.get(event_type)
        return schema.problems(payload) if schema is not None else []

    def check_tenant(self, tenant: Tenant | None, payload: dict[str, Any]) -> str | None:
        """Dispatch hook: a reason to refuse a verified payload for this tenant, or None."""
        return None


class SignedJsonSource(InboundSource):
    """A sender that signs its JSON bodies with an HMAC ``SignatureScheme`` and names the
    event in a top-level payload field. Subclasses set ``signature``, ``event_field``,
    ``handlers`` and ``secret_for``."""

    signature: SignatureScheme
    event_field: str = "event"

    def __init__(self) -> None:
        # What a sender's support would ask about: the signature headers and who sent it.
        self.stored_headers = ("Content-Type", "User-Agent", *self.signature.header_names)

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime
    ) -> Verification:
        return self.signature.verify(headers, raw_body, secret, now)

    def event_type(self, payload: dict[str, Any]) -> str:
        event = payload[self.event_field]
        if not isinstance(event, str) or not event:
            raise ValueError(f"{self.event_field} must be a non-empty string")
        return event


__all__ = ("InboundSource", "PayloadSchema", "SignedJsonSource")
