"""How long technical data that may hold personal data is kept, and the daily clean-up.

A registry: the built-in policies below (the event bus's raw bodies and error texts, the
export ZIPs) plus every policy a plugin declares in its manifest's ``retention_policies``
(dotted paths of ``RetentionPolicy`` objects, validated by the registry). The beat task
``privacy.apply_retention`` runs every policy's ``purge`` with the policy's cut-off; the
admin lists ``retention_rules()`` on the request list and on its "Adatmegőrzési idők"
page. Defaults and the reasons for them are in docs/privacy.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.plugin_manager.eventbus.models import (
    Delivery,
    DeliveryAttempt,
    InboundAttempt,
    InboundDelivery,
)
from apps.plugin_manager.registry import retention_policy_paths

from .models import EXPORT_VALID_DAYS, PrivacyRequest

log = logging.getLogger("privacy.retention")

DEFAULT_INBOX_BODY_DAYS = 30
DEFAULT_DELIVERY_ERROR_DAYS = 90
DEFAULT_BOT_API_AUDIT_DAYS = 365


def _days(name: str, default: int) -> int:
    return int(getattr(settings, name, default) or default)


@dataclass(frozen=True)
class RetentionPolicy:
    """One kind of stored data and how long it is kept.

    ``purge(cutoff)`` removes (or empties) what is older than ``cutoff`` and returns how
    many rows it changed; it must never log or return the values themselves. ``setting``
    names the Django setting holding the period in days (documented in .env.example);
    ``"—"`` means a fixed period.
    """

    key: str
    what: str  # Hungarian, shown in the admin
    setting: str
    default_days: int
    why: str  # Hungarian, shown in the admin
    purge: Callable[[datetime], int] | None = None
    # The system whose data it is (shown in the admin): "" for the ERP itself.
    system: str = ""

    @property
    def days(self) -> int:
        if not self.setting or self.setting == "—":
            return self.default_days
        return _days(self.setting, self.default_days)

    @property
    def period(self) -> str:
        return f"{self.days} nap"


# Kept for the name the admin template and older callers use.
RetentionRule = RetentionPolicy


def inbox_body_days() -> int:
    return _days("PRIVACY_INBOX_BODY_RETENTION_DAYS", DEFAULT_INBOX_BODY_DAYS)


def delivery_error_days() -> int:
    return _days("PRIVACY_DELIVERY_ERROR_RETENTION_DAYS", DEFAULT_DELIVERY_ERROR_DAYS)


def _purge_inbox_bodies(cutoff: datetime) -> int:
    # The row stays (the admin's inbox history); only the body and headers go. Rows still
    # waiting to be processed keep theirs.
    return (InboundDelivery.objects.filter(received_at__lt=cutoff)
            .exclude(status=InboundDelivery.Status.RECEIVED)
            .exclude(raw_body=b"")
            .update(raw_body=b"", headers={}))


def _purge_delivery_errors(cutoff: datetime) -> int:
    return sum((
        Delivery.objects.filter(created_at__lt=cutoff).exclude(last_error="")
        .update(last_error=""),
        DeliveryAttempt.objects.filter(started_at__lt=cutoff).exclude(error="")
        .update(error=""),
        InboundDelivery.objects.filter(received_at__lt=cutoff).exclude(last_error="")
        .update(last_error=""),
        InboundAttempt.objects.filter(started_at__lt=cutoff).exclude(error="")
        .update(error=""),
    ))


def _purge_export_files(cutoff: datetime) -> int:
    # The expiry is stored on the request: everything past it goes, whatever the cut-off.
    return PrivacyRequest.objects.filter(
        Q(export_expires_at__lt=timezone.now()), export_file__isnull=False
    ).update(export_file=None)


BUILT_IN_POLICIES: tuple[RetentionPolicy, ...] = (
    RetentionPolicy(
        "inbox_bodies", "Beérkezett webhookok nyers törzse",
        "PRIVACY_INBOX_BODY_RETENTION_DAYS", DEFAULT_INBOX_BODY_DAYS,
        "Hibakereséshez és újrafeldolgozáshoz kell; egy hónap után már nem.",
        _purge_inbox_bodies, system="eventbus"),
    RetentionPolicy(
        "delivery_errors", "Kézbesítési hibaüzenetek",
        "PRIVACY_DELIVERY_ERROR_RETENTION_DAYS", DEFAULT_DELIVERY_ERROR_DAYS,
        "Egy negyedév visszamenőleg elég a visszatérő hibák felismeréséhez.",
        _purge_delivery_errors, system="eventbus"),
    RetentionPolicy(
        "export_files", "Adatkikérések exportja (ZIP)", "—", EXPORT_VALID_DAYS,
        "Az ügyfélnek átadás idejére; utána törlődik.", _purge_export_files),
)


def registered_policies() -> list[RetentionPolicy]:
    """The built-in policies, then every installed plugin's (manifest order)."""
    policies = list(BUILT_IN_POLICIES)
    for plugin_id, path in retention_policy_paths():
        policy = import_string(path)
        if not isinstance(policy, RetentionPolicy):
            raise TypeError(f"{path} (plugin {plugin_id}) is not a RetentionPolicy")
        policies.append(policy)
    return policies


def retention_rules() -> list[RetentionPolicy]:
    """What the admin shows: every policy, including those purged elsewhere (the bot API
    audit has its own task)."""
    return registered_policies()


def apply_retention() -> dict[str, int]:
    """Run every policy past its cut-off; returns counts per policy (logged, no values)."""
    now = timezone.now()
    counts: dict[str, int] = {}
    for policy in registered_policies():
        if policy.purge is None:
            continue
        counts[policy.key] = policy.purge(now - timedelta(days=policy.days))
    log.info("privacy.retention %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


__all__ = ("BUILT_IN_POLICIES", "RetentionPolicy", "RetentionRule", "apply_retention",
           "registered_policies", "retention_rules")
