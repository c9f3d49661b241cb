"""What the support plugin remembers about Chatwoot, per tenant.

Partner <-> contact links live in the event bus's generic ``ExternalRef`` (system
"chatwoot"); the rows here are the Chatwoot-specific ones: a tenant's own account (franchise
bootstrap), which conversation belongs to which worklog, and which customer notification
was already posted (so a retried event never sends a second message).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.plugin_manager import crypto
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import Tenant


class ChatwootAccount(models.Model):
    """A tenant's own Chatwoot account, created by the franchise bootstrap (or connected by
    hand). When present it overrides the plugin settings' account, inbox, token and webhook
    secret for that tenant. Secrets are stored encrypted (``plugin_manager.crypto``)."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="chatwoot_account",
        verbose_name=_("telephely"),
    )
    account_id = models.PositiveIntegerField(_("Chatwoot fiók azonosító"), null=True, blank=True)
    inbox_id = models.PositiveIntegerField(_("API postafiók azonosító"), null=True, blank=True)
    agent_user_id = models.PositiveIntegerField(_("integrációs felhasználó"), null=True,
                                                blank=True)
    agent_email = models.EmailField(_("integrációs felhasználó e-mail"), blank=True)
    webhook_id = models.PositiveIntegerField(_("webhook azonosító"), null=True, blank=True)
    webhook_url = models.URLField(_("webhook cél URL"), max_length=500, blank=True)
    dashboard_app_id = models.PositiveIntegerField(_("dashboard app azonosító"), null=True,
                                                   blank=True)
    widget_website_token = models.CharField(_("webes widget token"), max_length=100, blank=True)
    # Encrypted at rest (crypto.encrypt); read through the properties below.
    api_token_encrypted = models.TextField(_("API token (titkosítva)"), blank=True)
    webhook_secret_encrypted = models.TextField(_("webhook titok (titkosítva)"), blank=True)
    widget_hmac_token_encrypted = models.TextField(_("widget HMAC token (titkosítva)"),
                                                   blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("Chatwoot fiók")
        verbose_name_plural = _("Chatwoot fiókok")

    def __str__(self) -> str:
        return f"{self.tenant} – Chatwoot #{self.account_id or '?'}"

    @staticmethod
    def _read(stored: str) -> str:
        return crypto.decrypt(stored) if stored else ""

    @staticmethod
    def _write(plaintext: str) -> str:
        return crypto.encrypt(plaintext) if plaintext else ""

    @property
    def api_token(self) -> str:
        return self._read(self.api_token_encrypted)

    @api_token.setter
    def api_token(self, value: str) -> None:
        self.api_token_encrypted = self._write(value)

    @property
    def webhook_secret(self) -> str:
        return self._read(self.webhook_secret_encrypted)

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self.webhook_secret_encrypted = self._write(value)

    @property
    def widget_hmac_token(self) -> str:
        return self._read(self.widget_hmac_token_encrypted)

    @widget_hmac_token.setter
    def widget_hmac_token(self, value: str) -> None:
        self.widget_hmac_token_encrypted = self._write(value)

    @property
    def is_complete(self) -> bool:
        return bool(self.account_id and self.api_token_encrypted)


class ConversationLink(models.Model):
    """A Chatwoot conversation (by account and display id) and the worklog it belongs to."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("telephely"))
    account_id = models.PositiveIntegerField(_("Chatwoot fiók"))
    conversation_id = models.PositiveIntegerField(_("beszélgetés (display id)"))
    inbox_id = models.PositiveIntegerField(_("postafiók"), null=True, blank=True)
    contact_id = models.PositiveIntegerField(_("kapcsolat"), null=True, blank=True)
    worklog = models.OneToOneField(
        Worklog, on_delete=models.CASCADE, null=True, blank=True,
        related_name="chatwoot_conversation", verbose_name=_("munkalap"),
    )
    status = models.CharField(_("Chatwoot állapot"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    updated_at = models.DateTimeField(_("módosítva"), auto_now=True)

    class Meta:
        verbose_name = _("Chatwoot beszélgetés")
        verbose_name_plural = _("Chatwoot beszélgetések")
        constraints = [
            # A redelivered conversation_created finds this row instead of opening a
            # second worklog.
            models.UniqueConstraint(fields=("tenant", "account_id", "conversation_id"),
                                    name="support_conversation_link_unique"),
        ]

    def __str__(self) -> str:
        return f"Chatwoot #{self.conversation_id} ({self.worklog or '-'})"


class NotificationSent(models.Model):
    """A customer notification posted for one event: the idempotency record."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("telephely"))
    event_uuid = models.UUIDField(_("esemény"))
    kind = models.CharField(_("értesítés típusa"), max_length=40)
    object_type = models.CharField(_("objektum típusa"), max_length=100)
    object_id = models.CharField(_("objektum azonosító"), max_length=64)
    account_id = models.PositiveIntegerField(_("Chatwoot fiók"))
    conversation_id = models.PositiveIntegerField(_("beszélgetés (display id)"))
    message_id = models.PositiveBigIntegerField(_("üzenet azonosító"))
    created_at = models.DateTimeField(_("elküldve"), auto_now_add=True)

    class Meta:
        verbose_name = _("kiküldött értesítés")
        verbose_name_plural = _("kiküldött értesítések")
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=("event_uuid", "kind"),
                                    name="support_notification_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id}"
