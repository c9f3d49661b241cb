"""Gap-free, per-year document number sequences (R-2026-0001, M-2026-0123, O-2026-0456)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentSequence(models.Model):
    prefix = models.CharField(_("előtag"), max_length=4)
    year = models.PositiveSmallIntegerField(_("év"))
    last_value = models.PositiveIntegerField(_("utolsó sorszám"), default=0)

    class Meta:
        verbose_name = _("bizonylatszám-sorozat")
        verbose_name_plural = _("bizonylatszám-sorozatok")
        constraints = [
            models.UniqueConstraint(fields=("prefix", "year"), name="numbering_unique_prefix_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"
