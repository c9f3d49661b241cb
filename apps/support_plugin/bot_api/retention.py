"""How long the bot API keeps its records, and the purge that enforces it.

Idempotent answers are kept for a day (a bot retries within minutes). The audit log is
kept for BOT_API_AUDIT_RETENTION_DAYS (default 365): long enough to answer "who looked
at my data this year", short enough not to hoard a history nobody needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.plugin_manager.privacy.retention import RetentionPolicy

from .models import ApiCallLog, IdempotencyRecord

IDEMPOTENCY_RETENTION = timedelta(hours=24)
DEFAULT_AUDIT_RETENTION_DAYS = 365


def audit_retention() -> timedelta:
    days = int(getattr(settings, "BOT_API_AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS))
    return timedelta(days=days)


# Listed by the privacy app (manifest ``retention_policies``); purged by this app's own
# task (``purge_expired``), so no purge here.
AUDIT_POLICY = RetentionPolicy(
    "bot_api_audit", "Bot API naplórészletek", "BOT_API_AUDIT_RETENTION_DAYS",
    DEFAULT_AUDIT_RETENTION_DAYS,
    "Egy évig megválaszolható, ki és mikor kérdezett le egy ügyfelet.", system="bot_api")


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    idempotency, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - IDEMPOTENCY_RETENTION
    ).delete()
    calls, _ = ApiCallLog.objects.filter(created_at__lt=now - audit_retention()).delete()
    return {"idempotency_records": idempotency, "audit_rows": calls}
