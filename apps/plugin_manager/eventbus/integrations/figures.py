"""The dashboard's queries: one aggregate query per chart, cheap at 100 000 deliveries.

Every query is a GROUP BY over a window or a partial index: deliveries of the last 24 h
(by `created_at`; the table holds about a week, since succeeded rows are pruned after
EVENTBUS_SUCCEEDED_RETENTION_DAYS), pending rows (the partial pending indexes), inbound
webhooks by `received_at` (indexed), health records by `checked_at` (indexed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import Substr, TruncHour
from django.utils import timezone

from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery
from apps.plugin_manager.models import HealthCheckRecord, PluginActionRun

WINDOW_HOURS = 24
# Errors are grouped by their first characters: the tails carry ids and timestamps.
REASON_CHARS = 120
TOP_REASONS = 10
RECENT_RUNS = 8


@dataclass(frozen=True)
class Backlog:
    subscriber: str
    pending: int
    oldest_pending_at: datetime

    @property
    def oldest_age(self) -> timedelta:
        return timezone.now() - self.oldest_pending_at


@dataclass(frozen=True)
class FailureReason:
    subscriber: str
    reason: str
    count: int


def window_hours(now: datetime | None = None) -> list[datetime]:
    """The starts of the window's hours in local time, oldest first (the charts' x axis)."""
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=h) for h in range(WINDOW_HOURS - 1, -1, -1)]


def deliveries_per_hour(
    deliveries: QuerySet[Delivery], since: datetime
) -> dict[tuple[datetime, str], int]:
    rows = (
        deliveries.filter(created_at__gte=since)
        .annotate(hour=TruncHour("created_at"))
        .values_list("hour", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(hour, status): n for hour, status, n in rows}


def deliveries_per_subscriber(
    deliveries: QuerySet[Delivery], since: datetime
) -> dict[tuple[str, str], int]:
    rows = (
        deliveries.filter(created_at__gte=since)
        .values_list("subscriber", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(subscriber, status): n for subscriber, status, n in rows}


def backlog(deliveries: QuerySet[Delivery]) -> list[Backlog]:
    rows = (
        deliveries.filter(status=Delivery.Status.PENDING)
        .values_list("subscriber")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by("subscriber")
    )
    return [Backlog(subscriber, n, oldest) for subscriber, n, oldest in rows]


def failure_reasons(deliveries: QuerySet[Delivery]) -> list[FailureReason]:
    """The most frequent errors of deliveries that still matter: dead ones and pending
    ones that failed at least once (succeeded rows may carry an earlier error)."""
    rows = (
        deliveries.filter(status__in=(Delivery.Status.PENDING, Delivery.Status.DEAD))
        .exclude(last_error="")
        .annotate(reason=Substr("last_error", 1, REASON_CHARS))
        .values_list("subscriber", "reason")
        .annotate(n=Count("id"))
        .order_by("-n", "subscriber", "reason")[:TOP_REASONS]
    )
    return [FailureReason(subscriber, reason, n) for subscriber, reason, n in rows]


def inbound_per_source(
    inbound: QuerySet[InboundDelivery], since: datetime
) -> dict[tuple[str, str], int]:
    rows = (
        inbound.filter(received_at__gte=since)
        .values_list("source", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(source, status): n for source, status, n in rows}


def recent_runs(runs: QuerySet[PluginActionRun]) -> list[PluginActionRun]:
    return list(runs.select_related("tenant").order_by("-created_at", "-id")[:RECENT_RUNS])


def health_per_hour(
    records: QuerySet[HealthCheckRecord], since: datetime
) -> dict[tuple[str, datetime, str], int]:
    rows = (
        records.filter(checked_at__gte=since)
        .annotate(hour=TruncHour("checked_at"))
        .values_list("plugin_id", "hour", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(plugin_id, hour, status): n for plugin_id, hour, status, n in rows}


__all__ = (
    "Backlog",
    "FailureReason",
    "backlog",
    "deliveries_per_hour",
    "deliveries_per_subscriber",
    "failure_reasons",
    "health_per_hour",
    "inbound_per_source",
    "recent_runs",
    "window_hours",
)
