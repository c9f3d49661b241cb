"""The two statements of the delivery hot path: claiming deliveries, finishing them.

The claim takes a whole round of a `deliver_many` message at once (up to
`delivery.ROUND_SIZE` ids): one statement leases every delivery of the round that may run
now. The finish writes one call's outcome and attempt row and names the delivery's
successor (`outbox/delivery.py` writes each before the next call); it takes a list, and
also releases the claims a round did not get to call. A single delivery is a round of
one. What makes this safe is in the module docstring of `outbox/delivery.py`; what the
statements themselves guarantee:

- The claim is one `UPDATE` over a `SELECT ... FOR UPDATE SKIP LOCKED` of the rows that
  satisfy MAY_RUN_NOW. Each row is checked on its own, so a round never holds two
  deliveries of one subscriber and object: the later one sees the earlier one pending and
  is left alone (its predecessor's finish names it as the successor).
- Every row of a round gets the same lease token; the finish writes a row's outcome only
  where the row still carries that token ("an outcome only while the lease is ours"), row
  by row: a delivery whose lease was lost does not stop the others of the round.
- The attempt rows are written whether the lease is still ours or not (the call happened).
- Claimed rows the round did not get to run (the message's time budget ran out) are
  released by the finish statement, with the same token check, so whoever gets them next
  need not wait for the lease to expire.

Both go through Django's cursor (client-side parameters). Preparing them server-side was
tried and not kept: no gain could be measured, and a generic plan cannot use the partial
indexes (`status = 'pending'`) while the status is a parameter (inline it first if this is
tried again).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.models import Delivery, Event
from kgc_erp.tenants.models import Tenant

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

S = Delivery.Status

# A countdown task may fire a moment before the row's next_attempt_at (clock skew between
# worker and database host); this much earliness is accepted.
DUE_SLACK = timedelta(seconds=1)

# Whether a pending delivery may run now: due (by %(due_by)s), nobody holds its lease, and
# no older pending delivery of the same subscriber and object exists (one at a time, in
# order). `{d}` is the alias of the delivery row; the sweeper uses the same predicate.
MAY_RUN_NOW = """
       {d}.status = %(pending)s
   AND {d}.next_attempt_at <= %(due_by)s
   AND ({d}.locked_until IS NULL OR {d}.locked_until < %(now)s)
   AND ({d}.object_id = '' OR NOT EXISTS (
        SELECT 1
          FROM eventbus_delivery o
         WHERE o.subscriber = {d}.subscriber
           AND o.object_type = {d}.object_type
           AND o.object_id = {d}.object_id
           AND o.status = %(pending)s
           AND o.id < {d}.id))
"""

_CLAIM_SQL = """
UPDATE eventbus_delivery d
   SET locked_until = %(lease_until)s, lease_token = %(token)s
  FROM eventbus_event e
  JOIN tenants_tenant t ON t.id = e.tenant_id
 WHERE e.id = d.event_id
   AND d.id IN (
        SELECT c.id
          FROM eventbus_delivery c
         WHERE c.id = ANY(%(ids)s::bigint[])
           AND {may_run}
           FOR UPDATE OF c SKIP LOCKED)
RETURNING d.id, d.subscriber, d.attempts, d.object_type, d.object_id,
          e.id, e.uuid, e.type, e.payload, e.occurred_at,
          {tenant_columns}
""".replace("{may_run}", MAY_RUN_NOW.format(d="c"))
# The whole tenant row comes back with the claim, so handlers get a complete Tenant.
_TENANT_FIELDS = [f.attname for f in Tenant._meta.concrete_fields]
_CLAIM_SQL = _CLAIM_SQL.replace(
    "{tenant_columns}",
    ", ".join(f"t.{f.column}" for f in Tenant._meta.concrete_fields),
)

# Outcomes, attempt rows, releases and successors in one statement (one round trip,
# atomic on its own). A successor is read from the statement's snapshot, which is right:
# the rows after ours are not touched here (a round never holds two deliveries of one
# chain), and it is enqueued only after the statement has committed.
_FINISH_SQL = """
WITH input AS (
    SELECT *
      FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(attempts)s::int[],
                  %(errors)s::text[], %(http_statuses)s::int[],
                  %(next_attempt_at)s::timestamptz[], %(finished)s::bool[],
                  %(record_attempt)s::bool[], %(outcomes)s::text[], %(numbers)s::int[],
                  %(started_at)s::timestamptz[], %(durations)s::int[])
           AS i(id, status, attempts, error, http_status, next_attempt_at, finished,
                record_attempt, outcome, number, started_at, duration_ms)
), finished AS (
    UPDATE eventbus_delivery d
       SET status = i.status, attempts = i.attempts, last_error = i.error,
           last_http_status = i.http_status, locked_until = NULL, lease_token = NULL,
           next_attempt_at = COALESCE(i.next_attempt_at, d.next_attempt_at),
           finished_at = CASE WHEN i.finished THEN %(now)s END
      FROM input i
     WHERE d.id = i.id AND d.lease_token = %(token)s
    RETURNING d.id, i.finished, d.subscriber, d.object_type, d.object_id
), released AS (
    UPDATE eventbus_delivery d
       SET locked_until = NULL, lease_token = NULL
     WHERE d.id = ANY(%(release)s::bigint[]) AND d.lease_token = %(token)s
), attempt AS (
    INSERT INTO eventbus_deliveryattempt
           (delivery_id, number, started_at, duration_ms, outcome, http_status, error)
    SELECT i.id, i.number, i.started_at, i.duration_ms, i.outcome, i.http_status, i.error
      FROM input i
     WHERE i.record_attempt
)
SELECT i.id, f.id IS NOT NULL,
       (SELECT s.id
          FROM eventbus_delivery s
         WHERE f.finished
           AND f.object_id <> ''
           AND s.subscriber = f.subscriber
           AND s.object_type = f.object_type
           AND s.object_id = f.object_id
           AND s.status = %(pending)s
           AND s.id > f.id
         ORDER BY s.id
         LIMIT 1)
  FROM input i
  LEFT JOIN finished f ON f.id = i.id
"""


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    subscriber: str
    attempts: int
    object_type: str
    object_id: str
    event: Event
    token: uuid.UUID


@dataclass(frozen=True)
class AttemptRecord:
    outcome: str
    number: int
    started_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class Finish:
    """What a call's outcome writes to its delivery row (and attempt log)."""

    delivery_id: int
    status: str
    attempts: int
    attempt: AttemptRecord | None
    error: str = ""
    http_status: int | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Finished:
    """What the finish statement says about one delivery."""

    written: bool  # False: the lease was lost, the outcome was not written
    successor: int | None  # the next pending delivery of the same subscriber and object


def claim_many(
    delivery_ids: list[int], now: datetime | None = None
) -> tuple[uuid.UUID, list[Claim]]:
    """Lease those of the deliveries that may run now (see the module docstring); returns
    the round's lease token and its claims in id order."""
    now = now or timezone.now()
    token = uuid.uuid4()
    params: dict[str, _SQLType] = {
        "ids": list(delivery_ids),
        "now": now,
        "due_by": now + DUE_SLACK,
        "lease_until": now + tuning.lease(),
        "token": token,
        "pending": S.PENDING,
    }
    rows = _execute(_CLAIM_SQL, params)
    rows.sort(key=lambda row: row[0])
    return token, [_claim_from_row(row, token) for row in rows]


def _execute(sql: str, params: Mapping[str, _SQLType]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _claim_from_row(row: tuple, token: uuid.UUID) -> Claim:
    d_id, subscriber, attempts, object_type, object_id = row[:5]
    e_id, e_uuid, e_type, e_payload, e_occurred_at = row[5:10]
    tenant = Tenant.from_db(connection.alias, _TENANT_FIELDS, _tenant_values(row[10:]))
    event = Event(
        pk=e_id,
        uuid=e_uuid,
        type=e_type,
        tenant=tenant,
        object_type=object_type,
        object_id=object_id,
        payload=json.loads(e_payload) if isinstance(e_payload, str) else e_payload,
        occurred_at=e_occurred_at,
    )
    return Claim(d_id, subscriber, attempts, object_type, object_id, event, token)


def _tenant_values(raw: tuple) -> list[object]:
    # Raw SQL skips the fields' converters (JSON columns arrive as text): apply them.
    return [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(Tenant._meta.concrete_fields, raw, strict=True)
    ]


def finish_many(
    token: uuid.UUID, finishes: list[Finish], release: list[int] = ()  # type: ignore[assignment]
) -> dict[int, Finished]:
    """Write the outcomes (where the lease is still ours) and attempt rows, release the
    claims in `release`; returns, per finished delivery id, whether its outcome was written
    and its successor."""
    if not finishes and not release:
        return {}
    attempts = [f.attempt for f in finishes]
    params: dict[str, _SQLType] = {
        "ids": [f.delivery_id for f in finishes],
        "statuses": [f.status for f in finishes],
        "attempts": [f.attempts for f in finishes],
        "errors": [f.error for f in finishes],
        "http_statuses": [f.http_status for f in finishes],
        "next_attempt_at": [f.next_attempt_at for f in finishes],
        "finished": [f.status in Delivery.FINISHED for f in finishes],
        "record_attempt": [a is not None for a in attempts],
        "outcomes": [a.outcome if a else "" for a in attempts],
        "numbers": [a.number if a else 0 for a in attempts],
        "started_at": [a.started_at if a else None for a in attempts],
        "durations": [a.duration_ms if a else 0 for a in attempts],
        "release": list(release),
        "token": token,
        "now": timezone.now(),
        "pending": S.PENDING,
    }
    rows = _execute(_FINISH_SQL, params)
    return {d_id: Finished(bool(written), successor) for d_id, written, successor in rows}


__all__ = (
    "DUE_SLACK",
    "MAY_RUN_NOW",
    "AttemptRecord",
    "Claim",
    "Finish",
    "Finished",
    "claim_many",
    "finish_many",
)
