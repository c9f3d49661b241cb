"""Events the campaigns emit into the outbox (listed in the manifest's `emits`)."""

from __future__ import annotations

# One per new CampaignSend row; its delivery is the actual SMTP send.
CAMPAIGN_SEND_DUE = "campaign.send_due"

EMITTED: tuple[str, ...] = (CAMPAIGN_SEND_DUE,)

__all__ = ("CAMPAIGN_SEND_DUE", "EMITTED")
