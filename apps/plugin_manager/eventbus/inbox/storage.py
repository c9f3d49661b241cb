"""Storing an accepted inbound delivery: one INSERT ... ON CONFLICT DO NOTHING.

The unique index on (source, tenant, dedupe key) of accepted rows is what recognises a
replay; letting PostgreSQL decide in the same statement avoids a read-then-write race
between two copies of one delivery arriving at once, and costs one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from django.db import connection
from django.utils import timezone

_INSERT_SQL = """
INSERT INTO eventbus_inbounddelivery (
    source, tenant_id, delivery_id, dedupe_key, event_type, headers, raw_body, body_size,
    verification, signed_at, status, response_status, attempts, next_attempt_at,
    last_error, received_at, processed_at
) VALUES (
    %(source)s, %(tenant_id)s, %(delivery_id)s, %(dedupe_key)s, %(event_type)s,
    %(headers)s::jsonb, %(raw_body)s, %(body_size)s, %(verification)s, %(signed_at)s,
    %(status)s, 200, 0, %(now)s, '', %(now)s, %(processed_at)s
)
ON CONFLICT DO NOTHING
RETURNING id
"""


def insert_accepted(
    *,
    source: str,
    tenant_id: int | None,
    delivery_id: str,
    dedupe_key: str,
    event_type: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    verification: str,
    signed_at: datetime | None,
    status: str,
    processed: bool,
) -> int | None:
    """The new row's id, or None when this delivery was stored before (a replay)."""
    now = timezone.now()
    params = {
        "source": source,
        "tenant_id": tenant_id,
        "delivery_id": delivery_id,
        "dedupe_key": dedupe_key,
        "event_type": event_type,
        "headers": json.dumps(dict(headers)),
        "raw_body": raw_body,
        "body_size": len(raw_body),
        "verification": verification,
        "signed_at": signed_at,
        "status": status,
        "now": now,
        "processed_at": now if processed else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        row = cursor.fetchone()
    return row[0] if row else None


__all__ = ("insert_accepted",)
