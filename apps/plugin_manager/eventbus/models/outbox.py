"""The transactional outbox: an event, one delivery per subscriber, every attempt.

An `Event` is written in the same database transaction as the change it describes, with
one `Delivery` per subscriber that was enabled at that moment. A delivery is the unit of
work (and of retry) for one subscriber; the rows are the source of truth, the Celery
messages that point at them are only a fast path (see delivery.py and sweeper.py).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from kgc_erp.tenants.models import Tenant


class Event(models.Model):
    uuid = models.UUIDField("azonosító", default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField("típus", max_length=64, db_index=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name="telephely"
    )
    # `app_label.model_name` of the changed row (or a plugin's own namespace, e.g.
    # "helpdesk.conversation"), and its primary key as text.
    object_type = models.CharField("objektum típusa", max_length=100, blank=True)
    object_id = models.CharField("objektum azonosítója", max_length=64, blank=True)
    # Small and immutable facts of the moment (old/new status, erased flag). Handlers
    # re-read the current state instead of trusting a snapshot.
    payload = models.JSONField("adatok", default=dict, blank=True)
    occurred_at = models.DateTimeField("időpont", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "esemény"
        verbose_name_plural = "események"
        ordering = ("-id",)
        indexes = [
            models.Index(fields=("object_type", "object_id"), name="eventbus_event_object_idx"),
            models.Index(fields=("tenant", "type"), name="eventbus_event_tenant_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type}#{self.object_id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Várakozik"
        SUCCEEDED = "succeeded", "Sikeres"
        DEAD = "dead", "Halott"
        SKIPPED = "skipped", "Kihagyva"

    FINISHED = (Status.SUCCEEDED, Status.DEAD, Status.SKIPPED)

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name="esemény"
    )
    # Copied from the event: the admin filters and the per-object ordering need them
    # without a join on the hot path.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name="telephely"
    )
    object_type = models.CharField("objektum típusa", max_length=100, blank=True)
    object_id = models.CharField("objektum azonosítója", max_length=64, blank=True)
    # A plugin id ("crm", "support") or "webhook:<WebhookSubscription id>".
    subscriber = models.CharField("feliratkozó", max_length=100)
    status = models.CharField(
        "állapot", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField("próbálkozások", default=0)
    next_attempt_at = models.DateTimeField("következő próbálkozás", default=timezone.now)
    # Lease of the worker running it: a killed worker's claim simply expires.
    locked_until = models.DateTimeField("zárolva eddig", null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField("utolsó hiba", blank=True)
    last_http_status = models.PositiveSmallIntegerField(
        "utolsó HTTP státusz", null=True, blank=True
    )
    created_at = models.DateTimeField("létrehozva", default=timezone.now)
    finished_at = models.DateTimeField("befejezve", null=True, blank=True)

    class Meta:
        verbose_name = "kézbesítés"
        verbose_name_plural = "kézbesítések"
        ordering = ("-id",)
        indexes = [
            # The sweeper: due pending rows.
            models.Index(
                fields=("next_attempt_at",),
                condition=Q(status="pending"),
                name="eventbus_delivery_due_idx",
            ),
            # Per (subscriber, object) ordering: "is there an older pending one?" and
            # "which one is next?".
            models.Index(
                fields=("subscriber", "object_type", "object_id", "id"),
                condition=Q(status="pending"),
                name="eventbus_delivery_chain_idx",
            ),
            models.Index(
                fields=("finished_at",),
                condition=Q(status__in=("succeeded", "skipped")),
                name="eventbus_delivery_prune_idx",
            ),
            models.Index(fields=("subscriber", "status"), name="eventbus_delivery_sub_idx"),
            models.Index(fields=("tenant", "status"), name="eventbus_delivery_tenant_idx"),
            models.Index(fields=("object_type", "object_id"), name="eventbus_delivery_obj_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subscriber} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return (
            self.status == self.Status.PENDING
            and self.locked_until is not None
            and self.locked_until > timezone.now()
        )


class AttemptOutcome(models.TextChoices):
    """What one attempt came to: the same words for deliveries and inbound webhooks."""

    SUCCESS = "success", "Sikeres"
    RETRY = "retry", "Átmeneti hiba (újrapróbálja)"
    DEAD = "dead", "Végleges hiba"
    SKIPPED = "skipped", "Kihagyva"


class DeliveryAttempt(models.Model):
    Outcome = AttemptOutcome

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name="kézbesítés"
    )
    number = models.PositiveIntegerField("sorszám")
    started_at = models.DateTimeField("kezdete")
    duration_ms = models.PositiveIntegerField("időtartam (ms)")
    outcome = models.CharField("eredmény", max_length=10, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField("HTTP státusz", null=True, blank=True)
    error = models.CharField("hiba", max_length=500, blank=True)

    class Meta:
        verbose_name = "kézbesítési próbálkozás"
        verbose_name_plural = "kézbesítési próbálkozások"
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"#{self.number} {self.get_outcome_display()}"
