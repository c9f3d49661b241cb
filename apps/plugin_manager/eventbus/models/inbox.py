"""The inbound webhook inbox: every delivery an outside system sent us, raw.

A verified delivery is stored before it is acknowledged and processed later by a task,
so a slow or failing handler never makes the sender time out or lose the event. Refused
requests are kept too (with at most the first few KiB of their body) so an admin can
see why a sender's webhooks are not accepted.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.plugin_manager.eventbus.models.outbox import AttemptOutcome
from kgc_erp.tenants.models import Tenant


class InboundDelivery(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Feldolgozásra vár"
        PROCESSED = "processed", "Feldolgozva"
        IGNORED = "ignored", "Ismeretlen esemény (figyelmen kívül hagyva)"
        FAILED = "failed", "Feldolgozás sikertelen"
        REFUSED = "refused", "Elutasítva"

    source = models.CharField("forrás", max_length=64)
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="telephely",
    )
    # The sender's delivery id (the signature scheme's delivery header), if it sends one.
    delivery_id = models.CharField("kézbesítés azonosító", max_length=200, blank=True)
    # "id:<delivery id>" or "sha256:<body hash>": what a replay is recognised by.
    dedupe_key = models.CharField("ismétlés-kulcs", max_length=200)
    event_type = models.CharField("esemény", max_length=100, blank=True)
    headers = models.JSONField("fejlécek", default=dict, blank=True)
    raw_body = models.BinaryField("nyers törzs")
    body_size = models.PositiveIntegerField("méret (bájt)", default=0)
    verification = models.CharField("ellenőrzés eredménye", max_length=40)
    signed_at = models.DateTimeField("aláírás időpontja", null=True, blank=True)
    status = models.CharField("állapot", max_length=10, choices=Status.choices)
    response_status = models.PositiveSmallIntegerField("válasz HTTP státusz")
    attempts = models.PositiveIntegerField("feldolgozási próbálkozások", default=0)
    next_attempt_at = models.DateTimeField("következő próbálkozás", default=timezone.now)
    locked_until = models.DateTimeField("zárolva eddig", null=True, blank=True)
    # Lease of the worker processing it: only the holder may write the outcome.
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField("utolsó hiba", blank=True)
    received_at = models.DateTimeField("érkezett", default=timezone.now, db_index=True)
    processed_at = models.DateTimeField("feldolgozva", null=True, blank=True)

    class Meta:
        verbose_name = "bejövő webhook"
        verbose_name_plural = "bejövő webhookok"
        ordering = ("-id",)
        constraints = [
            # A replay of an accepted delivery violates this and is refused.
            models.UniqueConstraint(
                fields=("source", "tenant", "dedupe_key"),
                condition=~Q(status="refused"),
                nulls_distinct=False,
                name="eventbus_inbound_unique_delivery",
            )
        ]
        indexes = [
            models.Index(
                fields=("next_attempt_at",),
                condition=Q(status="received"),
                name="eventbus_inbound_due_idx",
            ),
            models.Index(fields=("source", "status"), name="eventbus_inbound_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event_type or '?'} #{self.pk}"

    @property
    def body_text(self) -> str:
        return bytes(self.raw_body).decode("utf-8", errors="replace")


class InboundAttempt(models.Model):
    """One run of an inbound webhook's handler, kept like a delivery's attempts."""

    Outcome = AttemptOutcome

    delivery = models.ForeignKey(
        InboundDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name="bejövő webhook",
    )
    number = models.PositiveIntegerField("sorszám")
    started_at = models.DateTimeField("kezdete")
    duration_ms = models.PositiveIntegerField("időtartam (ms)")
    outcome = models.CharField("eredmény", max_length=10, choices=AttemptOutcome.choices)
    error = models.CharField("hiba", max_length=500, blank=True)

    class Meta:
        verbose_name = "feldolgozási próbálkozás"
        verbose_name_plural = "feldolgozási próbálkozások"
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"#{self.number} {self.get_outcome_display()}"
