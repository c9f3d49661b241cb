"""Writing an event and its deliveries into the outbox, inside the caller's transaction.

This runs in every transaction that changes a partner, rental, worklog or order, so it
is built to cost one database round trip: a single statement resolves the outbound webhook
subscribers, inserts the event and inserts one delivery per subscriber.

`record_event` is what the core-signal receivers call; `emit_event` is how a plugin puts
its own events (declared in its manifest's `emits`) into the outbox: call it inside the
transaction that made the change, and the event commits or rolls back with it.

Design choice: an event nobody subscribes to is not written at all. The outbox is a work
queue, not an audit log (the core keeps its own history), and skipping the write keeps
the ERP as fast with every plugin off as without the event bus.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from apps.plugin_manager.eventbus.dispatch import enqueue_event_deliveries
from apps.plugin_manager.eventbus.models import Delivery, Event
from apps.plugin_manager.eventbus.object_refs import object_ref
from apps.plugin_manager.eventbus.outbox.subscribers import plugin_subscribers

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

_INSERT_SQL = """
WITH subs(subscriber) AS (
    SELECT unnest(%(plugins)s::text[])
    UNION ALL
    SELECT 'webhook:' || s.id
      FROM eventbus_webhooksubscription s
     WHERE s.tenant_id = %(tenant_id)s
       AND s.is_active
       AND s.event_types @> ARRAY[%(type)s]::varchar(64)[]
), ev AS (
    INSERT INTO eventbus_event (uuid, type, tenant_id, object_type, object_id, payload, occurred_at)
    SELECT %(uuid)s, %(type)s, %(tenant_id)s, %(object_type)s, %(object_id)s,
           %(payload)s::jsonb, %(now)s
     WHERE EXISTS (SELECT 1 FROM subs)
    RETURNING id
)
INSERT INTO eventbus_delivery (
    event_id, tenant_id, object_type, object_id, subscriber, status, attempts,
    next_attempt_at, created_at, last_error
)
SELECT ev.id, %(tenant_id)s, %(object_type)s, %(object_id)s, subs.subscriber, %(pending)s, 0,
       %(now)s, %(now)s, ''
  FROM ev CROSS JOIN subs
ORDER BY subs.subscriber
RETURNING id, event_id
"""


@dataclass(frozen=True)
class RecordedEvent:
    """What `record_event` wrote: the event row's id, uuid and time."""

    id: int
    uuid: uuid.UUID
    occurred_at: datetime


def record_event(
    event_type: str,
    *,
    tenant_id: int,
    object_type: str = "",
    object_id: str = "",
    payload: Mapping[str, object] | None = None,
    occurred_at: datetime | None = None,
) -> RecordedEvent | None:
    """Write the event and its deliveries; enqueue them once the transaction commits.

    Returns what was written, or None when nobody subscribes. No `Event` instance is built
    here: the core signals' receivers need nothing back, and building one was a tenth of
    what a subscribed save added (`emit_event` builds it for the plugins that ask)."""
    plugins: Sequence[str] = plugin_subscribers(event_type, tenant_id)
    now = occurred_at or timezone.now()
    event_uuid = uuid.uuid4()
    params: dict[str, _SQLType] = {
        "plugins": list(plugins),
        "tenant_id": tenant_id,
        "type": event_type,
        "uuid": event_uuid,
        "object_type": object_type,
        "object_id": object_id,
        "payload": json.dumps(payload, cls=DjangoJSONEncoder) if payload else "{}",
        "now": now,
        "pending": Delivery.Status.PENDING,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    delivery_ids = [row[0] for row in rows]
    transaction.on_commit(partial(enqueue_event_deliveries, delivery_ids))
    return RecordedEvent(rows[0][1], event_uuid, now)


def emit_event(
    event_type: str,
    *,
    tenant_id: int,
    obj: Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    payload: Mapping[str, object] | None = None,
) -> Event | None:
    """Record `event_type` for one tenant; returns the event, or None if nobody subscribes.

    The object is given as `obj` (a local row) or as `object_type` + `object_id` (e.g. a
    remote record: "helpdesk.conversation", "318"); deliveries for the same object and
    subscriber run in order.
    """
    if obj is not None:
        object_type, object_id = object_ref(obj)
    object_type = object_type or ""
    object_id = "" if object_id is None else str(object_id)
    recorded = record_event(event_type, tenant_id=tenant_id, object_type=object_type,
                            object_id=object_id, payload=payload)
    if recorded is None:
        return None
    return Event(
        pk=recorded.id,
        uuid=recorded.uuid,
        type=event_type,
        tenant_id=tenant_id,
        object_type=object_type,
        object_id=object_id,
        payload=dict(payload or {}),
        occurred_at=recorded.occurred_at,
    )


__all__ = (
    "RecordedEvent",
    "emit_event",
    "record_event",
)
