"""How long the CRM plugin keeps its sync error texts (manifest ``retention_policies``).

A sync run's error quotes what the CRM refused, which can be a partner's e-mail or phone
(Krayin's 422 "has already been taken" names the value); the run row stays for its
counts, its error text is cleared after the event bus's error-text period.
"""

from __future__ import annotations

from datetime import datetime

from apps.plugin_manager.privacy.retention import DEFAULT_DELIVERY_ERROR_DAYS, RetentionPolicy

from .models import SyncRun


def purge_errors(cutoff: datetime) -> int:
    return SyncRun.objects.filter(started_at__lt=cutoff).exclude(error="").update(error="")


SYNC_RUN_ERRORS = RetentionPolicy(
    "crm_sync_errors", "CRM szinkronfuttatások hibaüzenetei (Twenty, Krayin)",
    "PRIVACY_DELIVERY_ERROR_RETENTION_DAYS", DEFAULT_DELIVERY_ERROR_DAYS,
    "A CRM visszautasítása idézheti az e-mail-címet vagy telefonszámot; egy negyedév elég "
    "a hibák felismeréséhez.", purge_errors, system="crm")

__all__ = ("SYNC_RUN_ERRORS", "purge_errors")
