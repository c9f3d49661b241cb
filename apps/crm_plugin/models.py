"""The CRM plugin's shared state: sync runs (progress and checkpoints) of any CRM backend."""

from __future__ import annotations

from django.db import models


class SyncRun(models.Model):
    """One initial sync (or reconciliation) with its resumable checkpoint.

    The checkpoint is (`phase`, `last_pk`): everything up to `last_pk` of the phase is in
    Twenty. It is saved after each successful batch, so a resumed run re-sends at most the
    one batch in flight, which the upserts make harmless.
    """

    class Kind(models.TextChoices):
        INITIAL = "initial", "Kezdeti szinkron"
        RECONCILE = "reconcile", "Éjszakai egyeztetés"

    class Status(models.TextChoices):
        RUNNING = "running", "Fut"
        INTERRUPTED = "interrupted", "Megszakadt"
        SUCCEEDED = "succeeded", "Sikeres"
        FAILED = "failed", "Sikertelen"

    class Phase(models.TextChoices):
        PEOPLE = "people", "Partnerek"
        RENTAL = "rental", "Bérlések"
        SERVICE = "service", "Szervizmunkák"
        SALES = "sales", "Értékesítések"
        DONE = "done", "Kész"

    kind = models.CharField("típus", max_length=16, choices=Kind.choices, default=Kind.INITIAL)
    status = models.CharField(
        "állapot", max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    phase = models.CharField("szakasz", max_length=16, choices=Phase.choices, default=Phase.PEOPLE)
    last_pk = models.BigIntegerField("utolsó elküldött azonosító", default=0)
    history_since = models.DateTimeField("előzmények kezdete", null=True, blank=True)
    total = models.PositiveIntegerField("összesen", default=0)
    done = models.PositiveIntegerField("kész", default=0)
    calls = models.PositiveIntegerField("API hívások", default=0)
    records_sent = models.PositiveIntegerField("elküldött rekordok", default=0)
    repaired = models.PositiveIntegerField("javított eltérések", default=0)
    action_run = models.ForeignKey(
        "plugin_manager.PluginActionRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="bővítmény művelet",
    )
    error = models.TextField("hiba", blank=True)
    started_at = models.DateTimeField("elindult", auto_now_add=True)
    updated_at = models.DateTimeField("frissítve", auto_now=True)
    finished_at = models.DateTimeField("befejeződött", null=True, blank=True)

    class Meta:
        verbose_name = "CRM szinkron"
        verbose_name_plural = "CRM szinkronok"
        # Reading a person's CRM data out is a privacy-relevant act of its own.
        permissions = [("export_crm_data", "Partnerek CRM-adatainak exportálása")]
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


# The Twenty connector's own models live in its package; Django registers them under this
# app's label through this import.
from apps.crm_plugin.twenty.models import CrmConflict, ProcessedOpportunity  # noqa: E402

__all__ = ("CrmConflict", "ProcessedOpportunity", "SyncRun")
