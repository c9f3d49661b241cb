"""Partners: the customers (private persons and businesses) of every counter."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from kgc_erp.tenants.models import Tenant

from .phone import InvalidPhoneNumber, normalize_phone


class Partner(models.Model):
    class PaymentStatus(models.TextChoices):
        GOOD = "good", _("Rendben")
        LATE = "late", _("Késedelmes")
        BLOCKED = "blocked", _("Letiltva")

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="partners", verbose_name=_("telephely")
    )
    name = models.CharField(_("név"), max_length=200)
    phone = models.CharField(
        _("telefonszám"), max_length=20, blank=True, help_text=_("E.164 formátumban tárolva.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    company = models.CharField(_("cégnév"), max_length=200, blank=True)
    is_business = models.BooleanField(_("céges ügyfél"), default=False)
    # Never leaves the ERP: no mapper of any plugin may read it.
    tax_number = models.CharField(_("adószám"), max_length=20, blank=True)
    payment_status = models.CharField(
        _("fizetési státusz"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.GOOD,
    )
    marketing_consent = models.BooleanField(_("marketing hozzájárulás"), default=False)
    is_active = models.BooleanField(_("aktív"), default=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partnerek")
        ordering = ("name", "id")
        indexes = [
            models.Index(fields=("phone",), name="partner_phone_idx"),
            models.Index(fields=("email",), name="partner_email_idx"),
            models.Index(fields=("tenant", "name"), name="partner_tenant_name_idx"),
            # The admin's `icontains` search compiles to UPPER(col) LIKE '%...%'; these
            # trigram indexes on the same expressions keep it fast at 100 000 partners.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="partner_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="partner_email_trgm"),
            GinIndex(OpClass(Upper("company"), name="gin_trgm_ops"), name="partner_company_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Code paths that skip full_clean() (services, imports) still store E.164.
        self.normalise_contact_fields()
        # Atomic even when called outside a transaction (scripts, shell): post_save
        # receivers record outbox events, which must commit together with the row.
        with transaction.atomic():
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        with transaction.atomic():
            return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.normalise_contact_fields()

    def normalise_contact_fields(self) -> None:
        """Phone to E.164 (a field error when invalid), e-mail trimmed and lower-cased."""
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except InvalidPhoneNumber as exc:
                raise ValidationError({"phone": str(exc)}) from exc
        self.email = (self.email or "").strip().lower()


class ConsentChange(models.Model):
    """When and how a partner's marketing consent changed (the proof a regulator asks for)."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="consent_changes",
        verbose_name=_("partner"),
    )
    marketing_consent = models.BooleanField(_("új marketing hozzájárulás"))
    # Who or what changed it, e.g. "email_unsubscribe:win_back" or "one_click:win_back".
    source = models.CharField(_("forrás"), max_length=100)
    created_at = models.DateTimeField(_("időpont"), auto_now_add=True)

    class Meta:
        verbose_name = _("hozzájárulás-változás")
        verbose_name_plural = _("hozzájárulás-változások")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        state = "megadva" if self.marketing_consent else "visszavonva"
        return f"{self.partner_id}: {state} ({self.source})"
