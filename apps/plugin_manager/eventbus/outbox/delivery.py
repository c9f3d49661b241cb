"""Running one delivery: claim it, call its subscriber, record the attempt, move on.

Invariants (each one is what makes "no event lost, none applied twice" hold):

- Claiming is one statement: ``SELECT ... FOR UPDATE SKIP LOCKED`` on a due, unleased,
  pending row plus an update setting a lease (``locked_until``, ``lease_token``). Two
  workers never run the same delivery at once, and a worker killed mid-call leaves a lease
  that simply expires, after which the sweeper enqueues the row again.
- A delivery is claimed only when no older pending delivery exists for the same
  subscriber and object, so they run one at a time and in order. The check sits in the
  claiming statement, so a predecessor that finishes concurrently is either seen finished
  (we run) or still pending (we step aside, and the predecessor's finishing statement
  names us as its successor, which it enqueues after committing).
- The subscriber is called outside any transaction (it talks to remote systems); the
  outcome is written afterwards together with the attempt row, and only if our lease is
  still ours.
- Delivery is at-least-once (a worker can die after the remote applied the call but
  before we recorded it); subscribers are idempotent (event id / external refs), which
  turns that into an exactly-once effect.

The hot path is two statements (claim, finish) plus what the subscriber itself reads.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.dispatch import enqueue_deliveries
from apps.plugin_manager.eventbus.models import Delivery, DeliveryAttempt, Event
from apps.plugin_manager.eventbus.outbox.invoke import (
    PostponeDelivery,
    SkipDelivery,
    invoke_subscriber,
)
from apps.plugin_manager.eventbus.retry_policy import classify_failure, short_error
from kgc_erp.tenants.models import Tenant

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

logger = logging.getLogger("kgc.eventbus.delivery")
S = Delivery.Status
Attempt = DeliveryAttempt.Outcome

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
   AND d.id = (
        SELECT c.id
          FROM eventbus_delivery c
         WHERE c.id = %(id)s
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

# Outcome, attempt row and successor in one statement (one round trip, atomic on its own).
# The successor is read from the statement's snapshot, which is right: rows after ours
# are not touched here, and it is enqueued only after the statement has committed.
_FINISH_SQL = """
WITH finished AS (
    UPDATE eventbus_delivery
       SET status = %(status)s, attempts = %(attempts)s, last_error = %(error)s,
           last_http_status = %(http_status)s, locked_until = NULL, lease_token = NULL,
           next_attempt_at = COALESCE(%(next_attempt_at)s, next_attempt_at),
           finished_at = %(finished_at)s
     WHERE id = %(id)s AND lease_token = %(token)s
    RETURNING id
), attempt AS (
    INSERT INTO eventbus_deliveryattempt
           (delivery_id, number, started_at, duration_ms, outcome, http_status, error)
    SELECT %(id)s, %(number)s, %(started_at)s, %(duration_ms)s, %(outcome)s,
           %(http_status)s, %(error)s
     WHERE %(record_attempt)s
)
SELECT (SELECT count(*) FROM finished),
       (SELECT s.id
          FROM eventbus_delivery s
         WHERE %(chain)s
           AND s.subscriber = %(subscriber)s
           AND s.object_type = %(object_type)s
           AND s.object_id = %(object_id)s
           AND s.status = %(pending)s
           AND s.id > %(id)s
         ORDER BY s.id
         LIMIT 1)
"""


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"
    POSTPONED = "postponed"
    NOT_CLAIMED = "not_claimed"  # finished already, not due, running elsewhere, or waiting


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


def claim(delivery_id: int, now: datetime | None = None) -> Claim | None:
    """Lease the delivery if it may run now; None if not (see the module docstring)."""
    now = now or timezone.now()
    token = uuid.uuid4()
    params: dict[str, _SQLType] = {
        "id": delivery_id,
        "now": now,
        "due_by": now + DUE_SLACK,
        "lease_until": now + tuning.lease(),
        "token": token,
        "pending": S.PENDING,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
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


def _finish(
    c: Claim,
    *,
    status: str,
    attempts: int,
    attempt: AttemptRecord | None,
    error: str = "",
    http_status: int | None = None,
    next_attempt_at: datetime | None = None,
) -> bool:
    """Write the outcome (if the lease is still ours) and the attempt row (always); hand
    over to the next delivery of the same subscriber and object when this one is done."""
    finished = status in Delivery.FINISHED
    params: dict[str, _SQLType] = {
        "id": c.delivery_id,
        "token": c.token,
        "status": status,
        "attempts": attempts,
        "error": error,
        "http_status": http_status,
        "next_attempt_at": next_attempt_at,
        "finished_at": timezone.now() if finished else None,
        "record_attempt": attempt is not None,
        "outcome": attempt.outcome if attempt else "",
        "number": attempt.number if attempt else 0,
        "started_at": attempt.started_at if attempt else None,
        "duration_ms": attempt.duration_ms if attempt else 0,
        "chain": finished and bool(c.object_id),
        "subscriber": c.subscriber,
        "object_type": c.object_type,
        "object_id": c.object_id,
        "pending": S.PENDING,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FINISH_SQL, params)
        updated, successor = cursor.fetchone()
    if not updated:
        logger.warning(
            "eventbus.delivery.lease-lost delivery=%s subscriber=%s: the call outlived its "
            "lease and another worker took the delivery over",
            c.delivery_id,
            c.subscriber,
        )
        return False
    if successor is not None:
        enqueue_deliveries([successor])
    return True


def _schedule(delivery_id: int, delay: float) -> None:
    # Short waits become countdown tasks; long ones are left to the sweeper.
    if delay <= tuning.countdown_limit():
        enqueue_deliveries([delivery_id], countdown=max(0.0, delay))


def _record(outcome: str, number: int, started_at: datetime, started: float) -> AttemptRecord:
    elapsed = max(0, round((time.monotonic() - started) * 1000))
    return AttemptRecord(outcome, number, started_at, elapsed)


def run_delivery(delivery_id: int) -> Outcome:
    """Claim and run one delivery. Safe to call any number of times for the same id."""
    c = claim(delivery_id)
    if c is None:
        return Outcome.NOT_CLAIMED
    number = c.attempts + 1
    started_at = timezone.now()
    started = time.monotonic()
    try:
        http_status = invoke_subscriber(c.subscriber, c.event, number, c.delivery_id)
    except PostponeDelivery as exc:
        delay = tuning.circuit_open_delay()
        _finish(
            c,
            status=S.PENDING,
            attempts=c.attempts,
            attempt=None,
            error=short_error(exc),
            next_attempt_at=timezone.now() + delay,
        )
        _schedule(c.delivery_id, delay.total_seconds())
        return Outcome.POSTPONED
    except SkipDelivery as exc:
        attempt = _record(Attempt.SKIPPED, number, started_at, started)
        _finish(c, status=S.SKIPPED, attempts=c.attempts, attempt=attempt, error=short_error(exc))
        return Outcome.SKIPPED
    except Exception as exc:  # every handler failure is classified in _failed
        return _failed(c, exc, _record(Attempt.RETRY, number, started_at, started))
    attempt = _record(Attempt.SUCCESS, number, started_at, started)
    _finish(c, status=S.SUCCEEDED, attempts=number, attempt=attempt, http_status=http_status)
    return Outcome.SUCCEEDED


def _failed(c: Claim, exc: Exception, attempt: AttemptRecord) -> Outcome:
    failure = classify_failure(exc, attempt.number)
    log_args = (c.delivery_id, c.subscriber, attempt.number)
    if failure.dead:
        logger.error("eventbus.delivery.dead delivery=%s subscriber=%s attempt=%s: %s",
                     *log_args, failure.error, exc_info=not failure.expected)
        dead = AttemptRecord(Attempt.DEAD, attempt.number, attempt.started_at,
                             attempt.duration_ms)
        _finish(c, status=S.DEAD, attempts=attempt.number, attempt=dead, error=failure.error,
                http_status=failure.http_status)
        return Outcome.DEAD
    logger.warning("eventbus.delivery.retry delivery=%s subscriber=%s attempt=%s in=%.1fs: %s",
                   *log_args, failure.delay, failure.error, exc_info=not failure.expected)
    if _finish(
        c,
        status=S.PENDING,
        attempts=attempt.number,
        attempt=attempt,
        error=failure.error,
        http_status=failure.http_status,
        next_attempt_at=timezone.now() + timedelta(seconds=failure.delay),
    ):
        _schedule(c.delivery_id, failure.delay)
    return Outcome.RETRY


__all__ = ("MAY_RUN_NOW", "Claim", "Outcome", "claim", "run_delivery")
