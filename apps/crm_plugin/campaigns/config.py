"""The campaigns' plugin id (from the manifest) and their effective settings."""

from __future__ import annotations

from collections.abc import Mapping

from .apps import CampaignsConfig

PLUGIN_ID = CampaignsConfig.plugin_id
DEFAULT_RATE_PER_MINUTE = 6000
DEFAULT_SEND_BATCH_SIZE = 200
# A batch is sent within half a delivery lease; far more rows than that could take would
# only be handed back to the retry.
MAX_SEND_BATCH_SIZE = 1000


def rate_per_minute(settings: Mapping[str, object]) -> int:
    value = settings.get("campaign_rate_limit_per_minute") or DEFAULT_RATE_PER_MINUTE
    return max(1, int(str(value)))


def send_batch_size(settings: Mapping[str, object]) -> int:
    """E-mails per delivery: one SMTP connection, one rate-limit call, one load."""
    value = settings.get("campaign_send_batch_size") or DEFAULT_SEND_BATCH_SIZE
    return min(MAX_SEND_BATCH_SIZE, max(1, int(str(value))))


__all__ = ("PLUGIN_ID", "rate_per_minute", "send_batch_size")
