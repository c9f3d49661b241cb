"""The built-in "eventbus" step: what the event bus stored that mentions the person.

Raw webhook bodies (``InboundDelivery.raw_body``) that contain the phone or e-mail are
replaced by a redaction marker (the whole body: a contact payload also carries the name and
more), header values containing them are dropped, error texts of deliveries, webhooks,
their attempts and external links have the values masked, and outbox event payloads and
external links' data (JSON a connector emitted, e.g. a conversation's contact) have every
string holding them masked, keys and shape kept. Scope: the tenant's rows, plus rows of sources
that are not tenant-scoped (a company-wide workspace's webhooks carry no tenant); other
tenants' rows are never touched.

It runs last (after every connector step), so webhooks the connectors' own deletions
provoked are already stored and get redacted too.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q

from apps.plugin_manager.eventbus.models import (
    Delivery,
    DeliveryAttempt,
    Event,
    ExternalRef,
    InboundAttempt,
    InboundDelivery,
)

from .handlers import PrivacySubject, Receipt

MASK = "[törölve]"


def needles(subject: PrivacySubject) -> list[str]:
    """The texts searched for: the E.164 phone, its digits without "+", the national
    significant number (finds "06 30..." notations' digit runs too) and the e-mail."""
    found: list[str] = []
    if subject.phone:
        digits = subject.phone.lstrip("+")
        found += [subject.phone, digits]
        if subject.phone.startswith("+36") and len(digits) > 2:
            found.append(digits[2:])
    if subject.email:
        found.append(subject.email)
    return [n for n in dict.fromkeys(found) if len(n) >= 6]


def _mask(text: str, values: list[str]) -> str:
    lowered = text.lower()
    for value in sorted(values, key=len, reverse=True):
        start = lowered.find(value.lower())
        while start != -1:
            text = text[:start] + MASK + text[start + len(value):]
            lowered = text.lower()
            start = lowered.find(value.lower(), start + len(MASK))
    return text


def _contains(text: str, values: list[str]) -> bool:
    lowered = text.lower()
    return any(v.lower() in lowered for v in values)


def _inbox_rows(subject: PrivacySubject) -> Any:
    return InboundDelivery.objects.filter(Q(tenant=subject.tenant) | Q(tenant__isnull=True))


def _matching_inbox(subject: PrivacySubject, values: list[str]) -> list[InboundDelivery]:
    # Bytes are searched in SQL (position() on bytea), so only candidate rows are loaded.
    where = " OR ".join(["position(convert_to(%s, 'UTF8') in raw_body) > 0"] * len(values)
                        + ["lower(headers::text) LIKE %s"] * len(values))
    params = values + [f"%{v.lower()}%" for v in values]
    return list(_inbox_rows(subject).extra(where=[where], params=params))


def count_mentions(subject: PrivacySubject) -> int:
    """Stored webhooks and event payloads that mention the person."""
    values = needles(subject)
    if not values:
        return 0
    return len(_matching_inbox(subject, values)) + _json_mentions(subject, values)


def redact(subject: PrivacySubject, request_id: int | None) -> dict[str, int]:
    values = needles(subject)
    counts = {"webhook_bodies": 0, "error_texts": 0, "event_payloads": 0, "external_refs": 0}
    if not values:
        return counts
    marker = json.dumps({"redacted": f"adatvédelmi kérelem #{request_id}"}).encode()
    for row in _matching_inbox(subject, values):
        row.raw_body = marker
        row.headers = {k: v for k, v in (row.headers or {}).items()
                       if not _contains(f"{k}: {v}", values)}
        row.last_error = _mask(row.last_error or "", values)
        row.save(update_fields=["raw_body", "headers", "last_error"])
        counts["webhook_bodies"] += 1
    text_filter = Q()
    for value in values:
        text_filter |= Q(last_error__icontains=value)
    for delivery in Delivery.objects.filter(text_filter, tenant=subject.tenant):
        delivery.last_error = _mask(delivery.last_error, values)
        delivery.save(update_fields=["last_error"])
        counts["error_texts"] += 1
    for inbound in _inbox_rows(subject).filter(text_filter):
        inbound.last_error = _mask(inbound.last_error, values)
        inbound.save(update_fields=["last_error"])
        counts["error_texts"] += 1
    attempt_filter = Q()
    for value in values:
        attempt_filter |= Q(error__icontains=value)
    for attempt in DeliveryAttempt.objects.filter(attempt_filter,
                                                  delivery__tenant=subject.tenant):
        attempt.error = _mask(attempt.error, values)[:500]
        attempt.save(update_fields=["error"])
        counts["error_texts"] += 1
    for inbound_attempt in InboundAttempt.objects.filter(
        attempt_filter,
        Q(delivery__tenant=subject.tenant) | Q(delivery__tenant__isnull=True),
    ):
        inbound_attempt.error = _mask(inbound_attempt.error, values)[:500]
        inbound_attempt.save(update_fields=["error"])
        counts["error_texts"] += 1
    counts["event_payloads"] = _redact_json_rows(
        Event.objects.filter(tenant=subject.tenant), "payload", values)
    counts["external_refs"] = _redact_json_rows(
        ExternalRef.objects.filter(tenant=subject.tenant), "data", values)
    for ref in ExternalRef.objects.filter(text_filter_on("last_error", values),
                                          tenant=subject.tenant):
        ref.last_error = _mask(ref.last_error, values)
        ref.save(update_fields=["last_error"])
        counts["error_texts"] += 1
    return counts


def text_filter_on(column: str, values: list[str]) -> Q:
    found = Q()
    for value in values:
        found |= Q(**{f"{column}__icontains": value})
    return found


def _mask_json(value: Any, values: list[str]) -> Any:
    """Every string in the JSON with the values masked; keys and shape kept (a handler
    still reading a pending delivery's payload finds its ids)."""
    if isinstance(value, str):
        return _mask(value, values) if _contains(value, values) else value
    if isinstance(value, list):
        return [_mask_json(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _mask_json(v, values) for k, v in value.items()}
    return value


def _redact_json_rows(rows: Any, column: str, values: list[str]) -> int:
    # The JSON is searched as text in SQL, so only candidate rows are loaded.
    where = " OR ".join([f"lower({column}::text) LIKE %s"] * len(values))
    changed = 0
    for row in rows.extra(where=[where], params=[f"%{v.lower()}%" for v in values]):
        setattr(row, column, _mask_json(getattr(row, column), values))
        row.save(update_fields=[column])
        changed += 1
    return changed


def _json_mentions(subject: PrivacySubject, values: list[str]) -> int:
    where = " OR ".join(["lower(payload::text) LIKE %s"] * len(values))
    params = [f"%{v.lower()}%" for v in values]
    return Event.objects.filter(tenant=subject.tenant).extra(where=[where],
                                                             params=params).count()


class EventBusPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        return {"stored_webhooks_mentioning_the_person": count_mentions(subject)}

    def erase(self, subject: PrivacySubject) -> Receipt:
        counts = redact(subject, subject.request_id)
        left = count_mentions(subject)
        if left:
            from .handlers import VerificationFailed

            raise VerificationFailed(f"{left} stored webhooks still mention the person")
        if not any(counts.values()):
            return Receipt("nothing_held", "no stored webhook or error text mentions the person")
        return Receipt("anonymised",
                       f"{counts['webhook_bodies']} webhook bodies redacted, "
                       f"{counts['event_payloads']} event payloads and "
                       f"{counts['external_refs']} link data masked, "
                       f"{counts['error_texts']} error texts masked; re-scan: 0 left")


__all__ = ("EventBusPrivacyHandler", "count_mentions", "needles", "redact")
