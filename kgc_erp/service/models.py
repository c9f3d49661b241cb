"""Service worklogs (munkalap), their timeline, and workshop appointments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

if TYPE_CHECKING:
    from .services import WorklogChanges


class Worklog(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "felveve", _("Felvéve")
        DIAGNOSIS = "diagnosztika", _("Diagnosztika")
        QUOTE = "arajanlat", _("Árajánlat")
        REPAIR = "javitas", _("Javítás")
        DONE = "kesz", _("Kész, átvehető")
        HANDED_OVER = "atadva", _("Átadva")

    class Source(models.TextChoices):
        COUNTER = "counter", _("Pult")
        CHATWOOT = "chatwoot", _("Chatwoot")
        PHONE = "phone", _("Telefon")
        WEB = "web", _("Web")

    number = models.CharField(_("munkalapszám"), max_length=20, unique=True, editable=False)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="worklogs", verbose_name=_("telephely")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="worklogs", verbose_name=_("partner")
    )
    machine_type = models.CharField(_("géptípus"), max_length=200)
    issue_description = models.TextField(_("hiba leírása"))
    status = models.CharField(
        _("állapot"), max_length=15, choices=Status.choices, default=Status.RECEIVED
    )
    quote_amount = models.DecimalField(
        _("árajánlat (Ft)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    quote_accepted = models.BooleanField(
        _("árajánlat elfogadva"),
        null=True,
        blank=True,
        help_text=_("Üresen hagyva: az ügyfél még nem döntött az árajánlatról."),
    )
    repair_cost = models.DecimalField(
        _("javítási költség (Ft)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    estimated_completion = models.DateField(_("várható elkészülés"), null=True, blank=True)
    technician_notes = models.TextField(_("szerelői megjegyzés"), blank=True)
    source = models.CharField(
        _("forrás"), max_length=20, choices=Source.choices, default=Source.COUNTER
    )
    completed_at = models.DateTimeField(_("elkészült"), null=True, blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("munkalap")
        verbose_name_plural = _("munkalapok")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("partner", "status"), name="worklog_partner_status_idx"),
            models.Index(fields=("status",), name="worklog_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"munkalap #{self.pk}"

    @property
    def can_pickup(self) -> bool:
        return self.status == self.Status.DONE

    def change_status(self, new_status: str, **changes: Unpack[WorklogChanges]) -> Worklog:
        from .services import change_worklog_status

        return change_worklog_status(self, new_status, **changes)


class WorklogTimelineEntry(models.Model):
    """What happened to a worklog, for the staff: status changes, customer contacts, notes."""

    worklog = models.ForeignKey(
        Worklog, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("munkalap")
    )
    created_at = models.DateTimeField(_("időpont"), auto_now_add=True)
    source = models.CharField(_("forrás"), max_length=30, default="erp")
    text = models.TextField(_("esemény"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("rögzítette"),
    )

    class Meta:
        verbose_name = _("munkalap-esemény")
        verbose_name_plural = _("munkalap-események")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.text[:60]


class Appointment(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("telephely")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("partner")
    )
    worklog = models.ForeignKey(
        Worklog,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("munkalap"),
    )
    starts_at = models.DateTimeField(_("időpont"))
    note = models.TextField(_("megjegyzés"), blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)

    class Meta:
        verbose_name = _("időpontfoglalás")
        verbose_name_plural = _("időpontfoglalások")
        ordering = ("starts_at",)
        constraints = [
            # One customer slot per store at a time: double booking is refused by the database.
            models.UniqueConstraint(fields=("tenant", "starts_at"), name="appointment_unique_slot")
        ]

    def __str__(self) -> str:
        return f"{self.partner} – {self.starts_at:%Y-%m-%d %H:%M}"
