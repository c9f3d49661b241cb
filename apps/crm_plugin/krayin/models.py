"""What the Krayin connector remembers: how far the lead poll has read each instance."""

from __future__ import annotations

from django.db import models


class LeadPollCursor(models.Model):
    """The newest `updated_at` of a Krayin instance's leads already looked at.

    Krayin's timestamps have whole seconds, so the poll reads down to and including the
    cursor second (ties are read again, which the exactly-once onboarding makes harmless).
    """

    instance_key = models.CharField("Krayin példány", max_length=16, unique=True)
    api_url = models.CharField("API URL", max_length=300)
    cursor = models.DateTimeField("utolsó látott módosítás", null=True, blank=True)
    polled_at = models.DateTimeField("utolsó lekérdezés", null=True, blank=True)
    leads_seen = models.PositiveIntegerField("átnézett leadek (utolsó kör)", default=0)

    class Meta:
        verbose_name = "Krayin lead-lekérdezés"
        verbose_name_plural = "Krayin lead-lekérdezések"

    def __str__(self) -> str:
        return f"{self.api_url} @ {self.cursor or '-'}"


__all__ = ("LeadPollCursor",)
