"""API keys of the bot API, the audit log of every call, and idempotency records.

A key is shown once when it is generated; only its SHA-256 hash and a short visible
prefix are stored. Every key belongs to exactly one tenant and sees that tenant's data only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kgc_erp.tenants.models import Tenant

from .scopes import Scope

DEFAULT_KEY_LIFETIME = timedelta(days=90)
DEFAULT_RATE_LIMIT_PER_MINUTE = 120


def default_expiry() -> datetime:
    return timezone.now() + DEFAULT_KEY_LIFETIME


def default_scopes() -> list[str]:
    return [Scope.READ.value]


def default_rate_limit() -> int:
    return int(getattr(settings, "BOT_API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE))


class ApiKey(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="bot_api_keys", verbose_name=_("telephely")
    )
    name = models.CharField(
        _("megnevezés"), max_length=100, help_text=_("Pl. „Kokó bot éles” vagy „Chatwoot ügynök”.")
    )
    # The visible, non-secret part of the key (`kgc_<prefix>_<secret>`): lets staff tell
    # keys apart and lets authentication find the row without scanning hashes.
    prefix = models.CharField(_("előtag"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("kulcs hash"), max_length=64, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=32, choices=Scope.choices),
        verbose_name=_("jogosultságok"),
        default=default_scopes,
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        _("kérés / perc"), default=default_rate_limit,
        help_text=_("Ennél több kérés percenként 429-es választ kap."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("létrehozta"),
    )
    created_at = models.DateTimeField(_("létrehozva"), auto_now_add=True)
    expires_at = models.DateTimeField(_("lejárat"), default=default_expiry)
    revoked_at = models.DateTimeField(_("visszavonva"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(
        _("utoljára használva"), null=True, blank=True, editable=False
    )
    rotated_from = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rotated_to",
        editable=False,
        verbose_name=_("elődkulcs"),
    )

    class Meta:
        verbose_name = _("API kulcs")
        verbose_name_plural = _("API kulcsok")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} (kgc_{self.prefix}_…)"

    # DRF puts the authenticated key in `request.user` as well as `request.auth`.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_prefix(self) -> str:
        return f"kgc_{self.prefix}_…"

    def has_scope(self, scope: Scope | str) -> bool:
        return str(scope) in self.scopes

    def is_usable(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at


class ApiCallLog(models.Model):
    """One row per API call: who asked what, about which object, and what we answered.

    Holds identifiers only. Parameters that are personal data (a phone number in a
    by-phone path, a name in a duplicate search) are masked before the row is written.
    """

    created_at = models.DateTimeField(_("időpont"), default=timezone.now, db_index=True)
    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("API kulcs"),
    )
    # Copied so the row keeps saying which key it was after the key is deleted.
    key_prefix = models.CharField(_("kulcs előtag"), max_length=16, blank=True)
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("telephely"),
    )
    method = models.CharField(_("metódus"), max_length=10)
    endpoint = models.CharField(_("végpont"), max_length=64, blank=True)
    path = models.CharField(_("útvonal"), max_length=300)
    query = models.CharField(_("lekérdezés"), max_length=300, blank=True)
    object_type = models.CharField(_("objektum típusa"), max_length=32, blank=True)
    object_ref = models.CharField(_("objektum"), max_length=64, blank=True)
    partner_id = models.BigIntegerField(_("partner azonosító"), null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(_("válaszkód"))
    error_code = models.CharField(_("hibakód"), max_length=40, blank=True)
    duration_ms = models.FloatField(_("időtartam (ms)"))
    request_id = models.CharField(_("kérés azonosító"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("API hívás")
        verbose_name_plural = _("API hívásnapló")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("partner_id",), name="botapi_call_partner_idx"),
            models.Index(fields=("api_key", "-created_at"), name="botapi_call_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code}"


class IdempotencyRecord(models.Model):
    """The first answer given to a write request with a given `Idempotency-Key`.

    Scoped to the tenant (not the key) so a retry sent with the rotated key still replays.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    partner_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotencia rekord")
        verbose_name_plural = _("idempotencia rekordok")
        constraints = [
            models.UniqueConstraint(
                fields=("tenant", "endpoint", "key"), name="botapi_idempotency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
