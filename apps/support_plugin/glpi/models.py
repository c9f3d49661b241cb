"""What the GLPI mirror remembers, per tenant.

Requester links (partner or Chatwoot contact -> GLPI User / Contact) live in the event
bus's ``ExternalRef`` (system "glpi"). The rows here are GLPI-specific: which ticket
mirrors which conversation, which message became which followup (both directions: the
idempotency records that keep a replay, a retry or a lost response from writing twice),
and how far the poll has read GLPI.

A row is written *before* the remote write it stands for (``state`` pending, remote id
empty) and completed after it: a pending row found later means "that write may have
happened", so the remote side is searched for our marker before writing again.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import Tenant


class GlpiTicketLink(models.Model):
    """A Chatwoot conversation (account, display id) and the GLPI ticket mirroring it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("telephely"))
    account_id = models.PositiveIntegerField(_("Chatwoot fiók"))
    conversation_id = models.PositiveIntegerField(_("beszélgetés (display id)"))
    ticket_id = models.PositiveIntegerField(_("GLPI jegy"), null=True, blank=True)
    requester_id = models.PositiveIntegerField(_("GLPI igénylő"), null=True, blank=True)
    worklog = models.ForeignKey(Worklog, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("munkalap"))
    chatwoot_status = models.CharField(_("Chatwoot állapot"), max_length=20, blank=True)
    # The GLPI status last seen or set by us: the poll reports only changes made in GLPI.
    glpi_status = models.PositiveSmallIntegerField(_("GLPI állapot"), null=True, blank=True)
    last_followup_id = models.PositiveIntegerField(_("utolsó látott követés"), default=0)
    last_synced_at = models.DateTimeField(_("utolsó szinkron"), null=True, blank=True)
    last_error = models.TextField(_("utolsó hiba"), blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("GLPI jegy")
        verbose_name_plural = _("GLPI jegyek")
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=("tenant", "account_id", "conversation_id"),
                                    name="support_glpi_ticket_per_conversation"),
        ]
        indexes = [models.Index(fields=("tenant", "ticket_id"), name="support_glpi_ticket_idx")]

    def __str__(self) -> str:
        return f"Chatwoot #{self.conversation_id} → GLPI #{self.ticket_id or '?'}"

    @property
    def object_id(self) -> str:
        """The event bus object id of the conversation (chatwoot event_types)."""
        return f"{self.account_id}:{self.conversation_id}"


class GlpiSyncRecord(models.Model):
    """One mirrored item: a Chatwoot message -> a GLPI followup (or the ticket's own
    content), or a GLPI followup / status change -> a Chatwoot message."""

    class Direction(models.TextChoices):
        TO_GLPI = "to_glpi", _("Chatwoot → GLPI")
        TO_CHATWOOT = "to_chatwoot", _("GLPI → Chatwoot")

    class State(models.TextChoices):
        PENDING = "pending", _("folyamatban")
        DONE = "done", _("kész")
        SKIPPED = "skipped", _("kihagyva")

    ticket = models.ForeignKey(GlpiTicketLink, on_delete=models.CASCADE,
                               related_name="records", verbose_name=_("GLPI jegy"))
    direction = models.CharField(_("irány"), max_length=12, choices=Direction.choices)
    # "m<chatwoot message id>", "f<glpi followup id>", "s<status>@<date_mod>".
    key = models.CharField(_("kulcs"), max_length=64)
    state = models.CharField(_("állapot"), max_length=8, choices=State.choices,
                             default=State.PENDING)
    chatwoot_message_id = models.PositiveBigIntegerField(_("Chatwoot üzenet"), null=True,
                                                         blank=True)
    followup_id = models.PositiveIntegerField(_("GLPI követés"), null=True, blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("tükrözött elem")
        verbose_name_plural = _("tükrözött elemek")
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=("ticket", "direction", "key"),
                                    name="support_glpi_record_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.key} ({self.get_state_display()})"


class GlpiPollCursor(models.Model):
    """How far the poll has read a tenant's GLPI: the newest ticket ``date_mod`` seen (in
    GLPI's own clock and format, never converted)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("telephely"))
    last_date_mod = models.CharField(_("utolsó módosítás (GLPI)"), max_length=19, blank=True)
    last_polled_at = models.DateTimeField(_("utolsó lekérdezés"), null=True, blank=True)
    last_error = models.TextField(_("utolsó hiba"), blank=True)

    class Meta:
        verbose_name = _("GLPI visszaolvasás")
        verbose_name_plural = _("GLPI visszaolvasások")

    def __str__(self) -> str:
        return f"{self.tenant}: {self.last_date_mod or '-'}"


__all__ = ("GlpiPollCursor", "GlpiSyncRecord", "GlpiTicketLink")
