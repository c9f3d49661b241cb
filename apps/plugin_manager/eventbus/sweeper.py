"""The safety net under the on-commit fast path, and the retention policy.

`sweep()` (beat, every minute) re-enqueues every delivery and inbound webhook that is due
but was not picked up within the grace period: its message was never published (broker
down at commit time), was lost with the broker, or its worker died (lease expired). Only
the head of each (subscriber, object) chain is enqueued; the rest follow in order.

`prune()` (beat, daily) deletes succeeded and skipped deliveries, and processed inbound
webhooks, after their retention period. Dead deliveries and failed inbound webhooks stay
until an admin retries or deletes them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.dispatch import (
    DELIVER,
    DELIVER_MANY,
    PROCESS_INBOUND,
    PROCESS_INBOUND_MANY,
    publish_in_batches,
    reset_pause,
)
from apps.plugin_manager.eventbus.inbox.processing import MAY_RUN_NOW as INBOUND_MAY_RUN_NOW
from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery
from apps.plugin_manager.eventbus.outbox.claims import MAY_RUN_NOW

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

logger = logging.getLogger("kgc.eventbus.sweeper")

_DUE_DELIVERIES_SQL = """
WITH due AS (
    SELECT d.id
      FROM eventbus_delivery d
     WHERE {may_run}
     ORDER BY d.next_attempt_at, d.id
     LIMIT %(batch)s
       FOR UPDATE SKIP LOCKED
)
UPDATE eventbus_delivery d
   SET next_attempt_at = %(now)s
  FROM due
 WHERE d.id = due.id
RETURNING d.id
""".replace("{may_run}", MAY_RUN_NOW.format(d="d"))

_DUE_INBOUND_SQL = """
WITH due AS (
    SELECT i.id
      FROM eventbus_inbounddelivery i
     WHERE {may_run}
     ORDER BY i.next_attempt_at, i.id
     LIMIT %(batch)s
       FOR UPDATE SKIP LOCKED
)
UPDATE eventbus_inbounddelivery i
   SET next_attempt_at = %(now)s
  FROM due
 WHERE i.id = due.id
RETURNING i.id
""".replace("{may_run}", INBOUND_MAY_RUN_NOW.format(i="i"))

_PRUNE_DELIVERIES_SQL = """
WITH doomed AS (
    SELECT id FROM eventbus_delivery
     WHERE status IN (%(succeeded)s, %(skipped)s) AND finished_at < %(cutoff)s
     LIMIT %(batch)s
), attempts AS (
    DELETE FROM eventbus_deliveryattempt WHERE delivery_id IN (SELECT id FROM doomed)
)
DELETE FROM eventbus_delivery WHERE id IN (SELECT id FROM doomed)
"""

_PRUNE_EVENTS_SQL = """
DELETE FROM eventbus_event
 WHERE id IN (
    SELECT e.id FROM eventbus_event e
     WHERE e.occurred_at < %(cutoff)s
       AND NOT EXISTS (SELECT 1 FROM eventbus_delivery d WHERE d.event_id = e.id)
     LIMIT %(batch)s)
"""

PRUNE_BATCH = 5000


def sweep_deliveries(now: datetime | None = None) -> int:
    now = now or timezone.now()
    params: dict[str, _SQLType] = {
        "now": now,
        "due_by": now - tuning.sweep_grace(),
        "batch": tuning.sweep_batch(),
        "pending": Delivery.Status.PENDING,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DUE_DELIVERIES_SQL, params)
        ids = sorted(row[0] for row in cursor.fetchall())
    if ids:
        logger.info("eventbus.sweep.deliveries count=%d", len(ids))
    return publish_in_batches(DELIVER, DELIVER_MANY, ids)


def sweep_inbound(now: datetime | None = None) -> int:
    now = now or timezone.now()
    params: dict[str, _SQLType] = {
        "now": now,
        "due_by": now - tuning.sweep_grace(),
        "batch": tuning.sweep_batch(),
        "received": InboundDelivery.Status.RECEIVED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DUE_INBOUND_SQL, params)
        ids = sorted(row[0] for row in cursor.fetchall())
    if ids:
        logger.info("eventbus.sweep.inbound count=%d", len(ids))
    return publish_in_batches(PROCESS_INBOUND, PROCESS_INBOUND_MANY, ids)


def sweep(now: datetime | None = None) -> dict[str, int]:
    # The sweeper is the recovery path: it always tries the broker, even if this process
    # saw it down a moment ago.
    reset_pause()
    return {"deliveries": sweep_deliveries(now), "inbound": sweep_inbound(now)}


def _delete_in_batches(sql: str, cutoff: datetime) -> int:
    total = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, {"cutoff": cutoff, "batch": PRUNE_BATCH,
                                 "succeeded": Delivery.Status.SUCCEEDED,
                                 "skipped": Delivery.Status.SKIPPED})
            deleted = cursor.rowcount
        total += deleted
        if deleted < PRUNE_BATCH:
            return total


def prune(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    cutoff = now - tuning.succeeded_retention()
    deliveries = _delete_in_batches(_PRUNE_DELIVERIES_SQL, cutoff)
    events = _delete_in_batches(_PRUNE_EVENTS_SQL, cutoff)
    inbound, _ = InboundDelivery.objects.filter(
        status__in=(
            InboundDelivery.Status.PROCESSED,
            InboundDelivery.Status.IGNORED,
            InboundDelivery.Status.REFUSED,
        ),
        received_at__lt=now - tuning.inbox_retention(),
    ).delete()
    result = {"deliveries": deliveries, "events": events, "inbound": inbound}
    logger.info("eventbus.prune %s", result)
    return result


__all__ = ("prune", "sweep", "sweep_deliveries", "sweep_inbound")
