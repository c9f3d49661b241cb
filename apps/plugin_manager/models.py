"""Run-time state of plugins: on/off and settings per scope, health, audit, action runs.

A scope is either global (`tenant` NULL) or one tenant. A tenant row overrides the global
row field by field: `enabled` NULL means "inherit", and `settings` holds only the keys
the tenant overrides. Secret setting values are stored encrypted (see crypto.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .status import HealthStatus


class PluginState(models.Model):
    plugin_id = models.CharField("bővítmény", max_length=64)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="telephely",
        help_text="Üres: a globális (minden telephelyre érvényes) beállítás.",
    )
    # NULL: inherit (a tenant row from the global row, the global row from the env flag).
    enabled = models.BooleanField("bekapcsolva", null=True, blank=True)
    settings = models.JSONField("beállítások", default=dict, blank=True)
    health_status = models.CharField(
        "állapot", max_length=16, choices=HealthStatus.choices, default=HealthStatus.UNKNOWN
    )
    health_latency_ms = models.FloatField("válaszidő (ms)", null=True, blank=True)
    health_checked_at = models.DateTimeField("utolsó ellenőrzés", null=True, blank=True)
    health_last_error = models.TextField("utolsó hiba", blank=True)
    updated_at = models.DateTimeField("módosítva", auto_now=True)

    class Meta:
        verbose_name = "bővítmény állapota"
        verbose_name_plural = "bővítmények"
        ordering = ("plugin_id", "tenant__name")
        constraints = [
            models.UniqueConstraint(
                fields=("plugin_id", "tenant"), name="plugin_state_unique_per_tenant"
            ),
            # NULLs are distinct in a unique index, so the global row needs its own.
            models.UniqueConstraint(
                fields=("plugin_id",),
                condition=Q(tenant__isnull=True),
                name="plugin_state_unique_global",
            ),
        ]
        permissions = [("manage_plugins", "Bővítmények kezelése")]

    def __str__(self) -> str:
        scope = self.tenant.name if self.tenant is not None else "globális"
        return f"{self.plugin_id} ({scope})"


class PluginToggleAudit(models.Model):
    class Action(models.TextChoices):
        ENABLE = "enable", "Bekapcsolás"
        DISABLE = "disable", "Kikapcsolás"
        INHERIT = "inherit", "Öröklés visszaállítása"
        SETTINGS = "settings", "Beállítások módosítása"
        TEST = "test", "Kapcsolat tesztelése"
        ACTION = "action", "Művelet indítása"

    plugin_id = models.CharField("bővítmény", max_length=64, db_index=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="telephely",
    )
    # Kept as text too, so the record survives the tenant's deletion.
    scope_label = models.CharField("hatókör", max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="felhasználó",
    )
    actor = models.CharField("végrehajtó", max_length=150)  # username, or "cli"
    action = models.CharField("művelet", max_length=16, choices=Action.choices)
    details = models.JSONField("részletek", default=dict, blank=True)
    created_at = models.DateTimeField("időpont", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "bővítmény napló bejegyzés"
        verbose_name_plural = "bővítmény napló"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor}: {self.plugin_id} {self.action}"


class PluginActionRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Várakozik"
        RUNNING = "running", "Fut"
        SUCCEEDED = "succeeded", "Sikeres"
        FAILED = "failed", "Sikertelen"

    plugin_id = models.CharField("bővítmény", max_length=64)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="telephely",
    )
    action = models.CharField("művelet", max_length=64)
    status = models.CharField(
        "állapot", max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress_current = models.PositiveIntegerField("kész", default=0)
    progress_total = models.PositiveIntegerField("összesen", null=True, blank=True)
    message = models.TextField("üzenet", blank=True)
    # What the run was asked to work on (e.g. the selected rows of an admin action).
    parameters = models.JSONField("paraméterek", default=dict, blank=True)
    # A small JSON result the starter may download (e.g. an export); None: nothing.
    result = models.JSONField("eredmény", null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="indította",
    )
    created_at = models.DateTimeField("létrehozva", auto_now_add=True)
    started_at = models.DateTimeField("elindult", null=True, blank=True)
    finished_at = models.DateTimeField("befejeződött", null=True, blank=True)

    class Meta:
        verbose_name = "bővítmény művelet"
        verbose_name_plural = "bővítmény műveletek"
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("plugin_id", "tenant", "-created_at"))]

    def __str__(self) -> str:
        return f"{self.plugin_id}:{self.action} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_current / self.progress_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def action_label(self) -> str:
        """What the admin shows instead of the internal action name."""
        from .actions import action_label

        return action_label(self.plugin_id, self.action)


class PluginSetup(models.Model):
    """A plugin's setup step for one set of settings (fingerprint): done or not yet."""

    plugin_id = models.CharField("bővítmény", max_length=64)
    # Hash of the effective settings the step ran with (other settings: run it again).
    fingerprint = models.CharField("beállítás-ujjlenyomat", max_length=32)
    completed_at = models.DateTimeField("elkészült", null=True, blank=True)
    attempts = models.PositiveIntegerField("próbálkozások", default=0)
    summary = models.TextField("eredmény", blank=True)
    last_error = models.TextField("utolsó hiba", blank=True)
    created_at = models.DateTimeField("létrehozva", auto_now_add=True)

    class Meta:
        verbose_name = "bővítmény előkészítése"
        verbose_name_plural = "bővítmények előkészítése"
        constraints = [models.UniqueConstraint(fields=("plugin_id", "fingerprint"),
                                               name="plugin_setup_unique")]

    def __str__(self) -> str:
        state = "kész" if self.completed_at else "folyamatban"
        return f"{self.plugin_id} ({state})"


class HealthCheckRecord(models.Model):
    """One recorded health check of a scope: the history behind PluginState's latest
    status, for the integrations dashboard. Pruned after `HEALTH_HISTORY_DAYS` days."""

    plugin_id = models.CharField("bővítmény", max_length=64)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="telephely",
    )
    status = models.CharField("állapot", max_length=16, choices=HealthStatus.choices)
    latency_ms = models.FloatField("válaszidő (ms)", null=True, blank=True)
    error = models.TextField("hiba", blank=True)
    checked_at = models.DateTimeField("ellenőrizve", db_index=True)

    class Meta:
        verbose_name = "állapotellenőrzés"
        verbose_name_plural = "állapotellenőrzések"
        ordering = ("-checked_at", "-id")

    def __str__(self) -> str:
        return f"{self.plugin_id} {self.checked_at:%Y-%m-%d %H:%M} {self.get_status_display()}"
