"""Beat tasks: run one campaign's selection (thin wrappers; the logic is in queueing.py)."""

from __future__ import annotations

from celery import shared_task

from .models import Campaign

RUN_CAMPAIGN_TASK = "crm_campaigns.run_campaign"


@shared_task(name=RUN_CAMPAIGN_TASK)
def run_campaign_task(kind: str) -> int | None:
    """Run `kind` for today; returns the number of e-mails queued (None if no such row)."""
    from .queueing import run_campaign

    campaign = Campaign.objects.filter(kind=kind).first()
    if campaign is None:
        return None
    return run_campaign(campaign).queued


__all__ = ("RUN_CAMPAIGN_TASK", "run_campaign_task")
