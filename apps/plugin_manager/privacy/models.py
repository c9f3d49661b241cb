"""Data-subject requests, their per-system steps with receipts, and erasure tombstones.

Personal identifiers a request needs while it runs (phone, e-mail, name) are stored
encrypted (``apps.plugin_manager.crypto``) and wiped when the request completes; a
tombstone keeps only a keyed hash, so "was this number erased?" can be answered without
keeping the number.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

# One month (GDPR Art. 12(3)); a calendar month is at least 28 days, 30 is the usual reading.
RESPONSE_DAYS = 30
EXPORT_VALID_DAYS = 30
# Built-in systems: no plugin behind them.
SYSTEM_ERP = "erp"
SYSTEM_EVENTBUS = "eventbus"


def add_one_month(moment: datetime) -> datetime:
    """The answer deadline: the same day next month (the last day when it has none)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment + timedelta(days=RESPONSE_DAYS)


class PrivacyRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", "Hozzáférés (adatkikérés)"
        ERASURE = "erasure", "Törlés"

    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        PHONE = "phone", "telefon"
        IN_PERSON = "in_person", "személyesen"
        LETTER = "letter", "levél"
        BOT = "bot", "bot"

    class Status(models.TextChoices):
        OPEN = "open", "nyitott"
        IN_PROGRESS = "in_progress", "folyamatban"
        DONE = "done", "kész"
        FAILED = "failed", "hibás"

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, verbose_name="bolt",
                               related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True,
                                verbose_name="partner", related_name="+")
    kind = models.CharField("típus", max_length=10, choices=Kind.choices)
    requested_by = models.CharField("ki kérte", max_length=200,
                                    help_text="Pl. „maga az ügyfél” vagy a meghatalmazott neve.")
    channel = models.CharField("hogyan érkezett", max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField("beérkezett", default=timezone.now)
    deadline = models.DateTimeField("határidő", editable=False)
    status = models.CharField("állapot", max_length=12, choices=Status.choices,
                              default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, verbose_name="rögzítette",
                                   related_name="+")
    created_at = models.DateTimeField("rögzítve", auto_now_add=True)
    completed_at = models.DateTimeField("befejezve", null=True, blank=True)
    # Encrypted (crypto.encrypt), wiped at completion: what the steps search and delete by.
    identifiers = models.TextField("azonosítók (titkosítva)", blank=True, editable=False)
    export_file = models.BinaryField("export (titkosított ZIP)", null=True, blank=True,
                                     editable=False)
    export_expires_at = models.DateTimeField("export lejár", null=True, blank=True)

    class Meta:
        verbose_name = "adatvédelmi kérelem"
        verbose_name_plural = "adatvédelmi kérelmek"
        ordering = ("-received_at",)
        permissions = (("manage_privacyrequest", "Adatvédelmi kérelmek kezelése"),)
        indexes = [models.Index(fields=("tenant", "status"), name="privacy_req_tenant_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.deadline is None and self.received_at is not None:
            self.deadline = add_one_month(self.received_at)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def days_left(self) -> int | None:
        if self.deadline is None or self.status == self.Status.DONE:
            return None
        return (self.deadline.date() - timezone.localdate()).days

    @property
    def export_available(self) -> bool:
        return bool(self.export_file) and bool(
            self.export_expires_at and self.export_expires_at > timezone.now()
        )


class PrivacyStep(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "folyamatban"
        DONE = "done", "kész"
        FAILED = "failed", "hibás"
        SWITCHED_OFF = "switched_off", "kikapcsolva"

    class Action(models.TextChoices):
        DELETED = "deleted", "törölve"
        ANONYMISED = "anonymised", "anonimizálva"
        EXPORTED = "exported", "exportálva"
        NOTHING_HELD = "nothing_held", "nem tárolt adatot"
        SWITCHED_OFF = "switched_off", "a rendszer ki volt kapcsolva"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="steps",
                                verbose_name="kérelem")
    system = models.CharField("rendszer", max_length=64)
    plugin_id = models.CharField("bővítmény", max_length=64, blank=True)
    status = models.CharField("állapot", max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveIntegerField("próbálkozások", default=0)
    last_error = models.TextField("utolsó hiba", blank=True)
    # The receipt: what was done, with evidence that never contains personal data.
    external_id = models.CharField("külső azonosító", max_length=200, blank=True)
    action = models.CharField("művelet", max_length=12, choices=Action.choices, blank=True)
    evidence = models.TextField("bizonyíték", blank=True)
    verified_at = models.DateTimeField("ellenőrizve", null=True, blank=True)
    # An access step's result until the ZIP is assembled (encrypted, then wiped).
    export_data = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField("módosítva", auto_now=True)

    class Meta:
        verbose_name = "lépés"
        verbose_name_plural = "lépések"
        ordering = ("request", "id")
        constraints = [
            models.UniqueConstraint(fields=("request", "system"), name="privacy_step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system}: {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.SWITCHED_OFF)


class Tombstone(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", "telefonszám"
        EMAIL = "email", "e-mail"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name="bolt",
                               related_name="+")
    kind = models.CharField("típus", max_length=5, choices=Kind.choices)
    # HMAC-SHA256 of the normalised value (tombstones.digest): never the value itself.
    digest = models.CharField("ujjlenyomat", max_length=64)
    created_at = models.DateTimeField("létrehozva", auto_now_add=True)
    request = models.ForeignKey(PrivacyRequest, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="tombstones", verbose_name="kérelem")
    lifted_at = models.DateTimeField("feloldva", null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name="feloldotta")
    lift_reason = models.CharField("feloldás oka", max_length=300, blank=True)

    class Meta:
        verbose_name = "törlési jelölés"
        verbose_name_plural = "törlési jelölések"
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("tenant", "kind", "digest"), name="privacy_tomb_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None
