"""The CRM plugin's own state: sync progress/checkpoints, conflicts, processed opportunities."""

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
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


class CrmConflict(models.Model):
    """Someone edited a master field of a person in Twenty; logged, never written back."""

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="partner",
    )
    kgc_partner_id = models.CharField("KGC partnerazonosító", max_length=32, blank=True)
    person_id = models.CharField("Twenty személy azonosító", max_length=36)
    fields = models.JSONField("módosított mezők", default=list)
    remote_values = models.JSONField("Twenty-beli értékek", default=dict)
    changed_by = models.CharField("módosította", max_length=200, blank=True)
    inbound_delivery_id = models.BigIntegerField("webhook kézbesítés", unique=True)
    changed_at = models.DateTimeField("módosítás ideje", null=True, blank=True)
    created_at = models.DateTimeField("rögzítve", auto_now_add=True)
    resolved = models.BooleanField("kezelve", default=False)

    class Meta:
        verbose_name = "CRM ütközés"
        verbose_name_plural = "CRM ütközések"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.kgc_partner_id or self.person_id}: {', '.join(self.fields)}"


class ProcessedOpportunity(models.Model):
    """A won opportunity already turned into a franchise tenant (exactly once)."""

    opportunity_id = models.CharField("Twenty lehetőség azonosító", max_length=36, unique=True)
    name = models.CharField("név", max_length=200)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="létrehozott telephely",
    )
    created_at = models.DateTimeField("feldolgozva", auto_now_add=True)

    class Meta:
        verbose_name = "megnyert lehetőség"
        verbose_name_plural = "megnyert lehetőségek"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.opportunity_id})"
