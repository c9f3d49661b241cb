"""Manual retries from the admin: dead (or stuck) deliveries and failed inbound webhooks.

A manual retry grants a fresh set of attempts (the attempt log keeps the earlier ones) and
enqueues the rows after the commit.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.plugin_manager.eventbus.dispatch import enqueue_deliveries, enqueue_inbound
from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery


def retry_deliveries(deliveries: QuerySet[Delivery]) -> int:
    """Put dead/skipped deliveries (and pending ones not running) back in the queue."""
    now = timezone.now()
    with transaction.atomic():
        # Re-based on primary keys: the admin's queryset may carry joins FOR UPDATE rejects.
        ids = list(
            Delivery.objects.filter(pk__in=deliveries.values("pk"))
            .select_for_update(skip_locked=True)
            .exclude(status=Delivery.Status.SUCCEEDED)
            .exclude(status=Delivery.Status.PENDING, locked_until__gt=now)
            .values_list("id", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            locked_until=None,
            lease_token=None,
            finished_at=None,
        )
        transaction.on_commit(lambda: enqueue_deliveries(sorted(ids)))
    return len(ids)


def retry_dead_for_subscriber(subscriber: str, deliveries: QuerySet[Delivery]) -> int:
    """Every dead delivery of one subscriber (within the given, tenant-scoped queryset)."""
    return retry_deliveries(deliveries.filter(subscriber=subscriber, status=Delivery.Status.DEAD))


def retry_inbound(inbound: QuerySet[InboundDelivery]) -> int:
    with transaction.atomic():
        ids = list(
            InboundDelivery.objects.filter(pk__in=inbound.values("pk"))
            .select_for_update(skip_locked=True)
            .filter(status=InboundDelivery.Status.FAILED)
            .values_list("id", flat=True)
        )
        InboundDelivery.objects.filter(pk__in=ids).update(
            status=InboundDelivery.Status.RECEIVED,
            attempts=0,
            next_attempt_at=timezone.now(),
            locked_until=None,
            processed_at=None,
        )
        transaction.on_commit(lambda: enqueue_inbound(sorted(ids)))
    return len(ids)


__all__ = ("retry_dead_for_subscriber", "retry_deliveries", "retry_inbound")
