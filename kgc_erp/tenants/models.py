"""Tenants: the headquarters and the franchise stores, and which staff user belongs where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kgc_erp.hungarian.collation import hungarian_order

HEADQUARTERS_SLUG = "kgc-hq"


class Tenant(models.Model):
    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("Központ")
        FRANCHISE = "franchise", _("Franchise üzlet")

    name = models.CharField(_("név"), max_length=200)
    slug = models.SlugField(
        _("azonosító"),
        max_length=80,
        unique=True,
        help_text=_(
            "Rövid, ékezet és szóköz nélküli név, pl. gyor-belvaros. A kapcsolt rendszerek "
            "ezzel ismerik fel a telephelyet, ezért később ne módosítsa."
        ),
    )
    kind = models.CharField(_("típus"), max_length=20, choices=Kind.choices, default=Kind.FRANCHISE)
    is_active = models.BooleanField(_("aktív"), default=True)
    # Which optional modules ("support", "crm", ...) the business has sold to this store.
    # The plugin manager decides what actually runs; this is the commercial entitlement.
    modules_enabled = models.JSONField(
        _("engedélyezett modulok"),
        default=list,
        blank=True,
        help_text=_(
            'A telephelynek megvásárolt kiegészítők, idézőjelben, szögletes zárójelek között, '
            'pl. ["support", "crm"]. support: ügyfélszolgálat (Chatwoot), '
            "crm: ügyfélkapcsolat-kezelés (Twenty)."
        ),
    )
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)

    class Meta:
        verbose_name = _("telephely")
        verbose_name_plural = _("telephelyek")
        # Hungarian alphabetical order (Á with A, Cs after C), see kgc_erp/hungarian.
        ordering = (hungarian_order("name").asc(),)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def headquarters(cls) -> Tenant:
        """The default tenant that owns everything not assigned to a franchise."""
        return cls.objects.get(slug=HEADQUARTERS_SLUG)


class StaffMembership(models.Model):
    """Binds a staff user to one tenant. Users without a membership see every tenant."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tenant_membership",
        verbose_name=_("felhasználó"),
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("telephely")
    )

    class Meta:
        verbose_name = _("munkatárs telephelye")
        verbose_name_plural = _("munkatársak telephelyei")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"
