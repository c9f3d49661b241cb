"""How long technical data that may hold personal data is kept, and the daily clean-up.

Defaults and the reasons for them are in docs/privacy.md; the admin shows ``retention_rules``
on the request list and on its "Adatmegőrzési idők" page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.plugin_manager.eventbus.models import (
    Delivery,
    DeliveryAttempt,
    InboundAttempt,
    InboundDelivery,
)

from .models import PrivacyRequest

log = logging.getLogger("privacy.retention")

DEFAULT_INBOX_BODY_DAYS = 30
DEFAULT_DELIVERY_ERROR_DAYS = 90
DEFAULT_BOT_API_AUDIT_DAYS = 365


@dataclass(frozen=True)
class RetentionRule:
    what: str  # Hungarian
    days: int
    setting: str
    why: str  # Hungarian

    @property
    def period(self) -> str:
        return f"{self.days} nap"


def _days(name: str, default: int) -> int:
    return int(getattr(settings, name, default) or default)


def inbox_body_days() -> int:
    return _days("PRIVACY_INBOX_BODY_RETENTION_DAYS", DEFAULT_INBOX_BODY_DAYS)


def delivery_error_days() -> int:
    return _days("PRIVACY_DELIVERY_ERROR_RETENTION_DAYS", DEFAULT_DELIVERY_ERROR_DAYS)


def retention_rules() -> list[RetentionRule]:
    return [
        RetentionRule("Beérkezett webhookok nyers törzse", inbox_body_days(),
                      "PRIVACY_INBOX_BODY_RETENTION_DAYS",
                      "Hibakereséshez és újrafeldolgozáshoz kell; egy hónap után már nem."),
        RetentionRule("Kézbesítési hibaüzenetek", delivery_error_days(),
                      "PRIVACY_DELIVERY_ERROR_RETENTION_DAYS",
                      "Egy negyedév visszamenőleg elég a visszatérő hibák felismeréséhez."),
        RetentionRule("Bot API naplórészletek",
                      _days("BOT_API_AUDIT_RETENTION_DAYS", DEFAULT_BOT_API_AUDIT_DAYS),
                      "BOT_API_AUDIT_RETENTION_DAYS",
                      "Egy évig megválaszolható, ki és mikor kérdezett le egy ügyfelet."),
        RetentionRule("Adatkikérések exportja (ZIP)", 30, "—",
                      "Az ügyfélnek átadás idejére; utána törlődik."),
    ]


def apply_retention() -> dict[str, int]:
    """Delete what is past its retention; returns counts per kind (logged, no values)."""
    now = timezone.now()
    body_cutoff = now - timedelta(days=inbox_body_days())
    error_cutoff = now - timedelta(days=delivery_error_days())
    counts = {
        # The row stays (the admin's inbox history); only the body and headers go. Rows
        # still waiting to be processed keep theirs.
        "inbox_bodies": InboundDelivery.objects.filter(received_at__lt=body_cutoff)
        .exclude(status=InboundDelivery.Status.RECEIVED)
        .exclude(raw_body=b"")
        .update(raw_body=b"", headers={}),
        "delivery_errors": Delivery.objects.filter(created_at__lt=error_cutoff)
        .exclude(last_error="").update(last_error=""),
        "delivery_attempt_errors": DeliveryAttempt.objects.filter(started_at__lt=error_cutoff)
        .exclude(error="").update(error=""),
        "inbox_errors": InboundDelivery.objects.filter(received_at__lt=error_cutoff)
        .exclude(last_error="").update(last_error=""),
        "inbox_attempt_errors": InboundAttempt.objects.filter(started_at__lt=error_cutoff)
        .exclude(error="").update(error=""),
        "export_files": PrivacyRequest.objects.filter(
            Q(export_expires_at__lt=now), export_file__isnull=False
        ).update(export_file=None),
        # The AI agent's transcripts join here once that app exists.
    }
    log.info("privacy.retention %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


__all__ = ("RetentionRule", "apply_retention", "retention_rules")
