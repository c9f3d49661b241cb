"""Products, stock per store location, and customer orders."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kgc_erp.hungarian.collation import hungarian_order
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant


class Product(models.Model):
    sku = models.CharField(_("cikkszám"), max_length=50, unique=True)
    name = models.CharField(_("megnevezés"), max_length=200)
    price = models.DecimalField(_("ár (Ft)"), max_digits=12, decimal_places=0)

    class Meta:
        verbose_name = _("termék")
        verbose_name_plural = _("termékek")
        # Hungarian alphabetical order (Á with A, Cs after C), see kgc_erp/hungarian.
        ordering = (hungarian_order("name").asc(),)

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class StockLevel(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("telephely")
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("termék")
    )
    location = models.CharField(_("raktárhely"), max_length=100, help_text=_("pl. Győr"))
    quantity = models.IntegerField(_("mennyiség"), default=0)

    class Meta:
        verbose_name = _("készlet")
        verbose_name_plural = _("készletek")
        ordering = (hungarian_order("product__name").asc(), "location")
        constraints = [
            models.UniqueConstraint(
                fields=("tenant", "product", "location"), name="stock_unique_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} @ {self.location}: {self.quantity}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Függőben")
        ORDERED = "ordered", _("Megrendelve")
        ARRIVED = "arrived", _("Beérkezett")
        DELIVERED = "delivered", _("Átadva")

    number = models.CharField(_("rendelésszám"), max_length=20, unique=True, editable=False)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="orders", verbose_name=_("telephely")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="orders", verbose_name=_("partner")
    )
    status = models.CharField(
        _("állapot"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    order_date = models.DateField(_("rendelés dátuma"))
    estimated_arrival = models.DateField(_("várható beérkezés"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("beérkezett"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("átadva"), null=True, blank=True)
    total_amount = models.DecimalField(
        _("végösszeg (Ft)"), max_digits=12, decimal_places=0, default=0
    )
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("rendelés")
        verbose_name_plural = _("rendelések")
        ordering = ("-order_date", "-id")
        indexes = [models.Index(fields=("partner", "status"), name="order_partner_status_idx")]

    def __str__(self) -> str:
        return self.number or f"rendelés #{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("rendelés")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("termék")
    )
    quantity = models.PositiveIntegerField(_("mennyiség"), default=1)
    unit_price = models.DecimalField(
        _("egységár (Ft)"),
        max_digits=12,
        decimal_places=0,
        blank=True,
        help_text=_("Üresen hagyva a termék aktuális ára."),
    )

    class Meta:
        verbose_name = _("rendelési tétel")
        verbose_name_plural = _("rendelési tételek")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.unit_price is None:
            self.unit_price = self.product.price
        super().save(*args, **kwargs)

    @property
    def line_total(self) -> int:
        return int(self.quantity * self.unit_price)
