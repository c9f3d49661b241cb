"""Storing accepted inbound deliveries: one INSERT ... ON CONFLICT DO NOTHING per batch.

The unique index on (source, tenant, dedupe key) of accepted rows is what recognises a
replay; letting PostgreSQL decide in the same statement avoids a read-then-write race
between two copies of one delivery arriving at once, and costs one round trip however
many rows the statement carries (group_commit.py batches concurrent requests' rows).

The statement is sent with server-side parameters and prepared once per connection and
batch size: Django's default client-side binding would quote every body into the SQL
text (a hex escape of up to 1 MiB in Python) and make PostgreSQL parse and plan that text
on every webhook. It runs on the request's own Django connection (same transaction, same
health check, errors wrapped as Django's), only the cursor class differs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg
from django.db import connection
from django.utils import timezone

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

_COLUMNS = (
    "source, tenant_id, delivery_id, dedupe_key, event_type, headers, raw_body, body_size, "
    "verification, signed_at, status, response_status, attempts, next_attempt_at, "
    "last_error, received_at, processed_at"
)
_ROW = "(%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, 200, 0, %s, '', %s, %s)"

UniqueKey = tuple[str, int | None, str]


@dataclass(frozen=True)
class AcceptedRow:
    source: str
    tenant_id: int | None
    delivery_id: str
    dedupe_key: str
    event_type: str
    headers: Mapping[str, str]
    raw_body: bytes
    verification: str
    signed_at: datetime | None
    status: str
    # True when nothing is left to do (an ignored event): no processing task is published.
    processed: bool

    @property
    def unique_key(self) -> UniqueKey:
        return (self.source, self.tenant_id, self.dedupe_key)

    def parameters(self, now: datetime) -> list[_SQLType]:
        return [
            self.source,
            self.tenant_id,
            self.delivery_id,
            self.dedupe_key,
            self.event_type,
            json.dumps(dict(self.headers)),
            self.raw_body,
            len(self.raw_body),
            self.verification,
            self.signed_at,
            self.status,
            now,
            now,
            now if self.processed else None,
        ]


def insert_rows(rows: Sequence[AcceptedRow]) -> list[int | None]:
    """Each row's new id, or None where that delivery was stored before (a replay), also
    when an earlier row of the same batch carries it."""
    if not rows:
        return []
    now = timezone.now()
    parameters: list[_SQLType] = []
    for row in rows:
        parameters.extend(row.parameters(now))
    sql = (
        f"INSERT INTO eventbus_inbounddelivery ({_COLUMNS}) VALUES "
        + ", ".join([_ROW] * len(rows))
        + " ON CONFLICT DO NOTHING RETURNING id, source, tenant_id, dedupe_key"
    )
    # What Django's connection.cursor() does first: a stale connection (server restarted
    # since the last request) is replaced before the statement, not failed by it.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, parameters, prepare=True)
        inserted: dict[UniqueKey, int] = {
            (source, tenant_id, dedupe_key): pk
            for pk, source, tenant_id, dedupe_key in cursor.fetchall()
        }
    # Within one statement the first copy of a delivery is the one stored.
    return [inserted.pop(row.unique_key, None) for row in rows]


__all__ = ("AcceptedRow", "insert_rows")
