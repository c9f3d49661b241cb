"""Partners: the customers (private persons and businesses) of every counter."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from kgc_erp.hungarian.collation import hungarian_order
from kgc_erp.tenants.models import Tenant

from .phone import InvalidPhoneNumber, normalize_phone
from .tax_number import InvalidTaxNumber, normalize_tax_number

DUPLICATE_TAX_NUMBER = "duplicate_tax_number"


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
        _("telefonszám"),
        max_length=20,
        blank=True,
        help_text=_(
            "Bármilyen formában beírhatja, pl. 06 30 123 4567; "
            "a rendszer egységes formára alakítja."
        ),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    company = models.CharField(_("cégnév"), max_length=200, blank=True)
    is_business = models.BooleanField(_("céges ügyfél"), default=False)
    # Never leaves the ERP: no mapper of any plugin may read it.
    tax_number = models.CharField(
        _("adószám"),
        max_length=20,
        blank=True,
        help_text=_(
            "Magyar adószám (pl. 12345678-2-13, kötőjelek nélkül is beírható), "
            "külföldi cégnél közösségi adószám országkóddal (pl. DE136695976)."
        ),
    )
    payment_status = models.CharField(
        _("fizetési státusz"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.GOOD,
    )
    marketing_consent = models.BooleanField(
        _("marketing hozzájárulás"),
        default=False,
        help_text=_("Csak akkor jelölje be, ha az ügyfél kérte vagy elfogadta a hírleveleket."),
    )
    is_active = models.BooleanField(_("aktív"), default=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partnerek")
        # Hungarian alphabetical order ("Ábel" < "Balázs" < "Balogh" < "Csaba" < "Éva");
        # plain byte order put every name starting with Á or É after Z.
        ordering = (hungarian_order("name").asc(), "id")
        indexes = [
            models.Index(fields=("phone",), name="partner_phone_idx"),
            models.Index(fields=("email",), name="partner_email_idx"),
            # The admin's default ordering as index scans at 100 000 partners: headquarters
            # staff list every tenant, a franchise user's list filters by tenant first.
            models.Index(hungarian_order("name"), F("id"), name="partner_hu_name_idx"),
            models.Index(
                F("tenant"), hungarian_order("name"), F("id"), name="partner_tenant_hu_name_idx"
            ),
            # The duplicate check of clean() looks a tax number up within one tenant.
            models.Index(fields=("tenant", "tax_number"), name="partner_tenant_tax_idx"),
            # The admin's `icontains` search compiles to UPPER(col) LIKE '%...%'; these
            # trigram indexes on the same expressions keep it fast at 100 000 partners.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="partner_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="partner_email_trgm"),
            GinIndex(OpClass(Upper("company"), name="gin_trgm_ops"), name="partner_company_trgm"),
        ]

    # Set by the admin form when staff confirm that a second partner (another contact of
    # the same company) may share an existing tax number. Not stored.
    allow_duplicate_tax_number: bool = False

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
        # Every field's problem at once, so the clerk fixes the form in one go.
        errors: dict[str, list[ValidationError]] = {}
        try:
            self.normalise_contact_fields()
        except ValidationError as exc:
            exc.update_error_dict(errors)
        if self.tax_number:
            try:
                self.tax_number = normalize_tax_number(self.tax_number)
                self._refuse_unconfirmed_duplicate_tax_number()
            except InvalidTaxNumber as exc:
                errors.setdefault("tax_number", []).append(ValidationError(str(exc)))
            except ValidationError as exc:
                exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def tax_number_duplicate(self) -> Partner | None:
        """Another partner of the same tenant with this (normalised) tax number.

        None when this partner already had the number: a duplicate confirmed once is not
        asked about again on every later edit.
        """
        if not self.tax_number or self.tenant_id is None:
            return None
        others = Partner.objects.filter(tenant_id=self.tenant_id, tax_number=self.tax_number)
        if self.pk is not None:
            if others.filter(pk=self.pk).exists():
                return None
            others = others.exclude(pk=self.pk)
        return others.order_by("pk").first()

    def _refuse_unconfirmed_duplicate_tax_number(self) -> None:
        if self.allow_duplicate_tax_number:
            return
        existing = self.tax_number_duplicate()
        if existing is None:
            return
        message = _(
            "Ez az adószám már szerepel ennél a telephelynél: %(name)s (azonosító: %(pk)s). "
            "Ha ugyanannak a cégnek egy másik kapcsolattartóját rögzíti, jelölje be a "
            "„Tudom, hogy ez az adószám már szerepel, mégis mentem” négyzetet."
        ) % {"name": existing.name, "pk": existing.pk}
        raise ValidationError({"tax_number": ValidationError(message, code=DUPLICATE_TAX_NUMBER)})

    def normalise_contact_fields(self) -> None:
        """Phone to E.164 (a field error when invalid), e-mail trimmed and lower-cased."""
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except InvalidPhoneNumber as exc:
                raise ValidationError({"phone": str(exc)}) from exc
        self.email = (self.email or "").strip().lower()
        if self.tax_number:
            # Same stored form whatever path saved it; an invalid number is left as it is
            # here (clean() refuses it in forms) so that rows stored before the check
            # existed can still be saved by services that change other fields.
            with contextlib.suppress(InvalidTaxNumber):
                self.tax_number = normalize_tax_number(self.tax_number)


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
