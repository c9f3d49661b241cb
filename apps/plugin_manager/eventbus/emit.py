"""How plugins put their own events (e.g. "helpdesk.conversation_created") into the outbox.

Call it inside the transaction that made the change: the event and its deliveries commit
or roll back with it, and the deliveries are enqueued only after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Model

from .models import Event
from .object_refs import object_ref
from .recording import record_event


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
    return record_event(
        event_type,
        tenant_id=tenant_id,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        payload=payload,
    )


__all__ = ("emit_event",)
