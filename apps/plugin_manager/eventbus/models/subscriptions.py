"""Outbound webhook subscriptions: "KGC ERP -> Support / CRM push webhooks".

An admin registers a target URL for chosen event types of one tenant. Deliveries to it go
through the same outbox and retry machinery as plugin handlers (subscriber key
"webhook:<id>") and are signed with the subscription's secret. The secret is stored
encrypted; after a rotation the previous secret keeps signing (as a second signature)
until its grace period ends, so the receiver can switch keys without losing events.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from apps.plugin_manager import crypto
from kgc_erp.tenants.models import Tenant

SUBSCRIBER_PREFIX = "webhook:"


def generate_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name="telephely"
    )
    name = models.CharField("megnevezés", max_length=200)
    target_url = models.URLField("cél URL", max_length=500)
    event_types = ArrayField(
        models.CharField(max_length=64), verbose_name="eseménytípusok", default=list
    )
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_valid_until = models.DateTimeField(
        "előző kulcs érvényes eddig", null=True, blank=True, editable=False
    )
    is_active = models.BooleanField("aktív", default=True)
    created_at = models.DateTimeField("létrehozva", auto_now_add=True)
    updated_at = models.DateTimeField("módosítva", auto_now=True)

    class Meta:
        verbose_name = "kimenő webhook feliratkozás"
        verbose_name_plural = "kimenő webhook feliratkozások"
        ordering = ("tenant__name", "name")
        indexes = [models.Index(fields=("tenant", "is_active"), name="eventbus_whsub_tenant_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def subscriber_key(self) -> str:
        return f"{SUBSCRIBER_PREFIX}{self.pk}"

    @property
    def secret(self) -> str:
        # Remembered per process: this is read on every delivery (Fernet costs ~0.1 ms).
        return crypto.decrypt_remembered(self.secret_encrypted) if self.secret_encrypted else ""

    def set_new_secret(self) -> str:
        """Give a new subscription its first secret; returns it (shown once)."""
        plaintext = generate_secret()
        self.secret_encrypted = crypto.encrypt(plaintext)
        return plaintext

    def rotate_secret(self, grace: timedelta, now: datetime | None = None) -> str:
        """Replace the secret; the old one stays valid for `grace`. Returns the new one."""
        now = now or timezone.now()
        self.previous_secret_encrypted = self.secret_encrypted
        self.previous_secret_valid_until = now + grace
        return self.set_new_secret()

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets to sign with: the current one, plus the previous one in its grace."""
        now = now or timezone.now()
        result = [self.secret]
        if (
            self.previous_secret_encrypted
            and self.previous_secret_valid_until
            and self.previous_secret_valid_until > now
        ):
            result.append(crypto.decrypt_remembered(self.previous_secret_encrypted))
        return result
