"""Machines for hire and the rentals of them."""

from __future__ import annotations

from datetime import date, datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kgc_erp.hungarian.collation import hungarian_order
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant


class Machine(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="machines", verbose_name=_("telephely")
    )
    name = models.CharField(_("megnevezés"), max_length=200)
    type = models.CharField(_("típus"), max_length=100)
    serial = models.CharField(_("gyári szám"), max_length=100, unique=True)
    daily_rate = models.DecimalField(_("napi díj (Ft)"), max_digits=10, decimal_places=0)

    class Meta:
        verbose_name = _("gép")
        verbose_name_plural = _("gépek")
        # Hungarian alphabetical order (Á with A, Cs after C), see kgc_erp/hungarian.
        ordering = (hungarian_order("name").asc(),)

    def __str__(self) -> str:
        return f"{self.name} ({self.serial})"


class Rental(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktív")
        COMPLETED = "completed", _("Lezárt")
        LATE = "late", _("Késésben")

    number = models.CharField(_("bérlési szám"), max_length=20, unique=True, editable=False)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="rentals", verbose_name=_("telephely")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="rentals", verbose_name=_("partner")
    )
    machine = models.ForeignKey(
        Machine, on_delete=models.PROTECT, related_name="rentals", verbose_name=_("gép")
    )
    start_date = models.DateField(_("kezdete"))
    end_date = models.DateField(_("lejárat"))
    returned_at = models.DateTimeField(_("visszahozva"), null=True, blank=True)
    status = models.CharField(
        _("állapot"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    total_cost = models.DecimalField(
        _("végösszeg (Ft)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("bérlés")
        verbose_name_plural = _("bérlések")
        ordering = ("-start_date", "-id")
        indexes = [
            models.Index(fields=("partner", "status"), name="rental_partner_status_idx"),
            models.Index(fields=("status", "end_date"), name="rental_status_due_idx"),
            # A partner's rentals by date, status included: "when did each partner last
            # rent, is anything still out" is answered from the index alone.
            models.Index(fields=("partner", "start_date", "status"),
                         name="rental_partner_start_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"bérlés #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.LATE)

    def late_days(self, today: date | None = None) -> int:
        """Whole days past the due date (0 when not overdue or already returned)."""
        if not self.is_open:
            return 0
        today = today or timezone.localdate()
        return max(0, (today - self.end_date).days)

    # The state transitions live in services.py; these thin methods are the model API.
    def start(self) -> Rental:
        from .services import start_rental

        return start_rental(self)

    def return_machine(self, returned_at: datetime | None = None) -> Rental:
        from .services import return_rental

        return return_rental(self, returned_at=returned_at)

    def mark_late(self, today: date | None = None) -> Rental:
        from .services import mark_rental_late

        return mark_rental_late(self, today=today)


class RentalReminder(models.Model):
    """The one "due tomorrow" announcement of a rental for one due date.

    Inserted before the signal is sent, in the same transaction, so a second run of the
    daily task (a retry, a second beat process) announces nothing twice: every channel a
    plugin reminds through follows from the one event.
    """

    rental = models.ForeignKey(
        Rental, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("bérlés")
    )
    due_date = models.DateField(_("lejárat"))
    created_at = models.DateTimeField(_("jelezve"), auto_now_add=True)

    class Meta:
        verbose_name = _("lejárati jelzés")
        verbose_name_plural = _("lejárati jelzések")
        constraints = [
            models.UniqueConstraint(fields=("rental", "due_date"), name="rental_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rental_id} @ {self.due_date}"
