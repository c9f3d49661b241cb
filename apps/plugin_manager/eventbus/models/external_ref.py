"""Links between an ERP row and its copy in an outside system.

Plugins keep their external ids here instead of adding fields to core models, and find
their earlier copy by (tenant, system, object) before creating one, so a retry or a lost
response never creates a duplicate.
"""

from __future__ import annotations

from django.db import models

from kgc_erp.tenants.models import Tenant


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Szinkronizálásra vár"
    SYNCED = "synced", "Szinkronizálva"
    FAILED = "failed", "Hibás"
    DELETED = "deleted", "Törölve a külső rendszerből"


class ExternalRef(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name="telephely"
    )
    system = models.CharField("külső rendszer", max_length=32)  # a connector's SYSTEM name
    object_type = models.CharField("objektum típusa", max_length=100)
    object_id = models.CharField("objektum azonosítója", max_length=64)
    external_id = models.CharField("külső azonosító", max_length=200, blank=True)
    sync_status = models.CharField(
        "szinkron állapot", max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING
    )
    last_synced_at = models.DateTimeField("utolsó szinkron", null=True, blank=True)
    last_error = models.TextField("utolsó hiba", blank=True)
    # System-specific extras (e.g. a helpdesk contact's source id).
    data = models.JSONField("adatok", default=dict, blank=True)
    created_at = models.DateTimeField("létrehozva", auto_now_add=True)
    updated_at = models.DateTimeField("módosítva", auto_now=True)

    class Meta:
        verbose_name = "külső azonosító"
        verbose_name_plural = "külső azonosítók"
        ordering = ("system", "object_type", "object_id")
        constraints = [
            models.UniqueConstraint(
                fields=("tenant", "system", "object_type", "object_id"),
                name="eventbus_externalref_unique_object",
            )
        ]
        indexes = [
            models.Index(
                fields=("system", "external_id", "tenant"), name="eventbus_extref_external_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id} → {self.system}:{self.external_id or '?'}"
