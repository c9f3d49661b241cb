"""Processing a stored inbound webhook: claim it, call its handler, record the attempt.

The same mechanism as an outbound delivery (``outbox/delivery.py``), in the other
direction:

- Claiming is one statement: ``SELECT ... FOR UPDATE SKIP LOCKED`` on a due, unleased,
  received row plus an update setting a lease (``locked_until``, ``lease_token``). A worker
  killed mid-handler leaves a lease that expires; the sweeper enqueues the row again.
- The handler runs outside any transaction of ours; the outcome and the attempt row are
  written afterwards in one statement, and only if the lease is still ours (a handler that
  outlived its lease leaves the row to the worker that took it over).
- Failures follow ``retry_policy.classify_failure``: a ``PermanentDeliveryError`` fails the
  delivery at once, anything else is retried with backoff until the attempts are used up.
  Payload shape problems never get here: the inbox refused them at the door (400).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.dispatch import enqueue_inbound
from apps.plugin_manager.eventbus.inbox.registry import get_source
from apps.plugin_manager.eventbus.models import AttemptOutcome, InboundDelivery
from apps.plugin_manager.eventbus.retry_policy import classify_failure

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

logger = logging.getLogger("kgc.eventbus.inbox")

Status = InboundDelivery.Status

# Whether a received row may be processed now (`{i}`: its alias); the sweeper uses it too.
MAY_RUN_NOW = """
       {i}.status = %(received)s
   AND {i}.next_attempt_at <= %(due_by)s
   AND ({i}.locked_until IS NULL OR {i}.locked_until < %(now)s)
"""

_CLAIM_SQL = """
UPDATE eventbus_inbounddelivery i
   SET locked_until = %(lease_until)s, lease_token = %(token)s
 WHERE i.id = (
        SELECT c.id FROM eventbus_inbounddelivery c
         WHERE c.id = %(id)s
           AND {may_run}
           FOR UPDATE SKIP LOCKED)
RETURNING i.id
""".replace("{may_run}", MAY_RUN_NOW.format(i="c"))

# Outcome and attempt row in one statement, only while the lease is ours.
_FINISH_SQL = """
WITH finished AS (
    UPDATE eventbus_inbounddelivery
       SET status = %(status)s, attempts = %(attempts)s, last_error = %(error)s,
           locked_until = NULL, lease_token = NULL,
           next_attempt_at = COALESCE(%(next_attempt_at)s, next_attempt_at),
           processed_at = %(processed_at)s
     WHERE id = %(id)s AND lease_token = %(token)s
    RETURNING id
)
INSERT INTO eventbus_inboundattempt (delivery_id, number, started_at, duration_ms, outcome, error)
SELECT id, %(attempts)s, %(started_at)s, %(duration_ms)s, %(outcome)s, %(error)s
  FROM finished
RETURNING delivery_id
"""


class InboundOutcome(StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"
    RETRY = "retry"
    FAILED = "failed"
    NOT_CLAIMED = "not_claimed"


@cache
def _handler(dotted_path: str) -> Callable[[InboundDelivery, dict[str, Any]], object]:
    handler: Callable[[InboundDelivery, dict[str, Any]], object] = import_string(dotted_path)
    return handler


def _claim(inbound_id: int) -> uuid.UUID | None:
    now = timezone.now()
    token = uuid.uuid4()
    params: dict[str, _SQLType] = {
        "id": inbound_id,
        "now": now,
        "due_by": now + timedelta(seconds=1),
        "lease_until": now + tuning.lease(),
        "token": token,
        "received": Status.RECEIVED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        return token if cursor.fetchone() is not None else None


def _finish(
    delivery: InboundDelivery,
    token: uuid.UUID,
    *,
    status: str,
    outcome: str,
    started_at: datetime,
    started: float,
    error: str = "",
    next_attempt_at: datetime | None = None,
) -> bool:
    params: dict[str, _SQLType] = {
        "id": delivery.pk,
        "token": token,
        "status": status,
        "attempts": delivery.attempts,
        "error": error,
        "next_attempt_at": next_attempt_at,
        "processed_at": None if status == Status.RECEIVED else timezone.now(),
        "started_at": started_at,
        "duration_ms": max(0, round((time.monotonic() - started) * 1000)),
        "outcome": outcome,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FINISH_SQL, params)
        if cursor.fetchone() is not None:
            return True
    logger.warning("eventbus.inbox.lease-lost id=%s: the handler outlived its lease and "
                   "another worker took the delivery over", delivery.pk)
    return False


def process_inbound_delivery(inbound_id: int) -> InboundOutcome:
    """Claim and process one stored webhook. Safe to call any number of times."""
    token = _claim(inbound_id)
    if token is None:
        return InboundOutcome.NOT_CLAIMED
    delivery = InboundDelivery.objects.select_related("tenant").get(pk=inbound_id)
    started_at, started = timezone.now(), time.monotonic()
    delivery.attempts += 1
    source = get_source(delivery.source)
    handler_path = source.handlers.get(delivery.event_type) if source else None
    if not handler_path:
        # The plugin was removed or stopped handling this event since it arrived.
        logger.info("eventbus.inbox.no-handler id=%s source=%s event=%s",
                    delivery.pk, delivery.source, delivery.event_type)
        _finish(delivery, token, status=Status.IGNORED, outcome=AttemptOutcome.SKIPPED,
                started_at=started_at, started=started,
                error="nincs kezelő ehhez az eseményhez")
        return InboundOutcome.IGNORED
    try:
        payload = json.loads(bytes(delivery.raw_body))
        _handler(handler_path)(delivery, payload)
    except Exception as exc:  # classified: retried with backoff, or failed for the admin
        failure = classify_failure(exc, delivery.attempts)
        log_args = (delivery.pk, delivery.source, delivery.event_type, delivery.attempts)
        if failure.dead:
            logger.error("eventbus.inbox.failed id=%s source=%s event=%s attempt=%s: %s",
                         *log_args, failure.error, exc_info=not failure.expected)
            _finish(delivery, token, status=Status.FAILED, outcome=AttemptOutcome.DEAD,
                    started_at=started_at, started=started, error=failure.error)
            return InboundOutcome.FAILED
        logger.warning("eventbus.inbox.retry id=%s source=%s event=%s attempt=%s in=%.1fs: %s",
                       *log_args, failure.delay, failure.error, exc_info=not failure.expected)
        kept = _finish(delivery, token, status=Status.RECEIVED, outcome=AttemptOutcome.RETRY,
                       started_at=started_at, started=started, error=failure.error,
                       next_attempt_at=timezone.now() + timedelta(seconds=failure.delay))
        # Short waits become countdown tasks; long ones are left to the sweeper.
        if kept and failure.delay <= tuning.countdown_limit():
            enqueue_inbound([delivery.pk], countdown=failure.delay)
        return InboundOutcome.RETRY
    _finish(delivery, token, status=Status.PROCESSED, outcome=AttemptOutcome.SUCCESS,
            started_at=started_at, started=started)
    return InboundOutcome.PROCESSED


__all__ = ("MAY_RUN_NOW", "InboundOutcome", "process_inbound_delivery")
