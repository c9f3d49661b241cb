"""The campaigns' plugin id (from the manifest) and their effective settings."""

from __future__ import annotations

from collections.abc import Mapping

from .apps import CampaignsConfig

PLUGIN_ID = CampaignsConfig.plugin_id
DEFAULT_RATE_PER_MINUTE = 6000


def rate_per_minute(settings: Mapping[str, object]) -> int:
    value = settings.get("campaign_rate_limit_per_minute") or DEFAULT_RATE_PER_MINUTE
    return max(1, int(str(value)))


__all__ = ("PLUGIN_ID", "rate_per_minute")
