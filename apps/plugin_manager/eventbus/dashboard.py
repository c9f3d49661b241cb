"""Figures for the event bus dashboard: counts per status and the oldest pending age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery

S = Delivery.Status


@dataclass(frozen=True)
class SubscriberFigures:
    subscriber: str
    pending: int
    running: int
    succeeded: int
    dead: int
    skipped: int
    oldest_pending_at: datetime | None

    @property
    def oldest_pending_age(self) -> timedelta | None:
        if self.oldest_pending_at is None:
            return None
        return timezone.now() - self.oldest_pending_at


def subscriber_figures(deliveries: QuerySet[Delivery]) -> list[SubscriberFigures]:
    now = timezone.now()
    rows = (
        deliveries.values("subscriber")
        .annotate(
            pending=Count("id", filter=Q(status=S.PENDING)),
            running=Count("id", filter=Q(status=S.PENDING, locked_until__gt=now)),
            succeeded=Count("id", filter=Q(status=S.SUCCEEDED)),
            dead=Count("id", filter=Q(status=S.DEAD)),
            skipped=Count("id", filter=Q(status=S.SKIPPED)),
            oldest_pending_at=Min("created_at", filter=Q(status=S.PENDING)),
        )
        .order_by("subscriber")
    )
    return [SubscriberFigures(**row) for row in rows]


def status_totals(deliveries: QuerySet[Delivery]) -> dict[str, int]:
    counts = dict(deliveries.values_list("status").annotate(n=Count("id")).order_by())
    return {label: counts.get(value, 0) for value, label in S.choices}


def inbound_figures(inbound: QuerySet[InboundDelivery]) -> list[dict[str, object]]:
    statuses = InboundDelivery.Status
    return list(
        inbound.values("source")
        .annotate(
            received=Count("id", filter=Q(status=statuses.RECEIVED)),
            processed=Count("id", filter=Q(status=statuses.PROCESSED)),
            ignored=Count("id", filter=Q(status=statuses.IGNORED)),
            failed=Count("id", filter=Q(status=statuses.FAILED)),
            refused=Count("id", filter=Q(status=statuses.REFUSED)),
        )
        .order_by("source")
    )


__all__ = ("SubscriberFigures", "inbound_figures", "status_totals", "subscriber_figures")
