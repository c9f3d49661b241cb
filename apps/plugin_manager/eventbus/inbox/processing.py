"""Processing a stored inbound webhook: look up its handler and call it, with retries."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import conf
from ..backoff import retry_delay
from ..enqueue import enqueue_inbound
from ..models import InboundDelivery
from .registry import get_source

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

logger = logging.getLogger("kgc.eventbus.inbox")

Status = InboundDelivery.Status

_CLAIM_SQL = """
UPDATE eventbus_inbounddelivery i
   SET locked_until = %(lease_until)s
 WHERE i.id = (
        SELECT c.id FROM eventbus_inbounddelivery c
         WHERE c.id = %(id)s
           AND c.status = 'received'
           AND c.next_attempt_at <= %(due_by)s
           AND (c.locked_until IS NULL OR c.locked_until < %(now)s)
           FOR UPDATE SKIP LOCKED)
RETURNING i.id
"""


class InboundOutcome(StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"
    RETRY = "retry"
    FAILED = "failed"
    NOT_CLAIMED = "not_claimed"


@cache
def _handler(dotted_path: str) -> Callable[[InboundDelivery, dict], object]:
    return import_string(dotted_path)


def _claim(inbound_id: int) -> bool:
    now = timezone.now()
    params: dict[str, _SQLType] = {
        "id": inbound_id,
        "now": now,
        "due_by": now + timedelta(seconds=1),
        "lease_until": now + conf.lease(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        return cursor.fetchone() is not None


def _save(delivery: InboundDelivery, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.last_error = error
    delivery.locked_until = None
    if status != Status.RECEIVED:
        delivery.processed_at = timezone.now()
    delivery.save(
        update_fields=(
            "status", "last_error", "locked_until", "processed_at", "attempts", "next_attempt_at"
        )
    )


def process_inbound_delivery(inbound_id: int) -> InboundOutcome:
    if not _claim(inbound_id):
        return InboundOutcome.NOT_CLAIMED
    delivery = InboundDelivery.objects.select_related("tenant").get(pk=inbound_id)
    source = get_source(delivery.source)
    handler_path = source.handlers.get(delivery.event_type) if source else None
    if not handler_path:
        # The plugin was removed or stopped handling this event since it arrived.
        logger.info("eventbus.inbox.no-handler id=%s source=%s event=%s",
                    delivery.pk, delivery.source, delivery.event_type)
        _save(delivery, Status.IGNORED, "nincs kezelő ehhez az eseményhez")
        return InboundOutcome.IGNORED
    payload = json.loads(bytes(delivery.raw_body))
    delivery.attempts += 1
    try:
        _handler(handler_path)(delivery, payload)
    except Exception as exc:  # retried, then shown in the admin
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= conf.max_attempts():
            logger.error("eventbus.inbox.failed id=%s source=%s event=%s: %s", delivery.pk,
                         delivery.source, delivery.event_type, error, exc_info=True)
            _save(delivery, Status.FAILED, error)
            return InboundOutcome.FAILED
        delay = retry_delay(delivery.attempts)
        logger.warning("eventbus.inbox.retry id=%s attempt=%s in=%.1fs: %s", delivery.pk,
                       delivery.attempts, delay, error, exc_info=True)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        _save(delivery, Status.RECEIVED, error)
        if delay <= conf.countdown_limit():
            enqueue_inbound([delivery.pk], countdown=delay)
        return InboundOutcome.RETRY
    _save(delivery, Status.PROCESSED)
    return InboundOutcome.PROCESSED


__all__ = ("InboundOutcome", "process_inbound_delivery")
