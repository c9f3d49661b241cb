"""What the Twenty connector remembers: hand edits of master fields (conflicts).

Won deals already turned into franchise tenants (`ProcessedOpportunity`) are shared by the
CRM backends and live in the plugin's own `models.py`."""

from __future__ import annotations

from django.db import models


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
