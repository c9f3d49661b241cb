"""Selected partners -> CampaignSend rows -> one `campaign.send_due` event per batch.

A send row is inserted with ON CONFLICT DO NOTHING on (campaign, partner, occasion key)
and its event is recorded in the same transaction, so a rerun, a run that crashed
half-way or two beat processes at once never make a second row (nor a second e-mail),
and no row exists without the event that sends it. One event names up to
`campaign_send_batch_size` rows of one tenant (payload `send_ids`; its object is the
first row): its delivery sends them over one SMTP connection (`batches.py`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from apps.plugin_manager import runtime
from apps.plugin_manager.eventbus.outbox.recording import emit_event
from apps.plugin_manager.privacy.models import Tombstone
from apps.plugin_manager.privacy.tombstones import refused, tombstone_checker
from kgc_erp.rentals.models import Machine
from kgc_erp.tenants.models import Tenant

from . import event_types
from .config import PLUGIN_ID, send_batch_size
from .models import Campaign, CampaignKind, CampaignRun, CampaignSend
from .selection import Candidate, select_candidates

log = logging.getLogger("crm_plugin.campaigns")

BATCH_SIZE = 500
SEND_OBJECT_TYPE = CampaignSend._meta.label_lower

_INSERT_SQL = """
INSERT INTO crm_campaigns_campaignsend (
    campaign_id, tenant_id, partner_id, run_id, occasion_key, context, status, to_email,
    subject, body_html, body_text, message_id, error, created_at)
SELECT %(campaign_id)s, t.tenant_id, t.partner_id, %(run_id)s, t.occasion_key, t.context::jsonb,
       'pending', '', '', '', '', '', '', %(now)s
  FROM unnest(%(tenant_ids)s::bigint[], %(partner_ids)s::bigint[], %(keys)s::text[],
              %(contexts)s::text[]) AS t(tenant_id, partner_id, occasion_key, context)
ON CONFLICT (campaign_id, partner_id, occasion_key) DO NOTHING
RETURNING id, tenant_id
"""


@dataclass
class Outcome:
    selected: int = 0
    queued: int = 0
    skipped_no_consent: int = 0
    skipped_no_email: int = 0
    skipped_already_sent: int = 0


def enabled_tenant_ids(campaign: Campaign) -> list[int]:
    """Tenants whose partners the campaign may reach now: plugin on, campaign not off."""
    if not campaign.is_active:
        return []
    disabled = set(campaign.disabled_tenants.values_list("pk", flat=True))
    return [pk for pk in Tenant.objects.values_list("pk", flat=True)
            if pk not in disabled and runtime.is_enabled(PLUGIN_ID, pk)]


def _insert_batch(campaign: Campaign, run: CampaignRun | None,
                  batch: Sequence[Candidate]) -> int:
    """Insert the new rows of one batch and record their events; returns how many."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SQL, {
                "campaign_id": campaign.pk, "run_id": run.pk if run else None,
                "now": timezone.now(),
                "tenant_ids": [c.tenant_id for c in batch],
                "partner_ids": [c.partner_id for c in batch],
                "keys": [c.occasion_key for c in batch],
                "contexts": [json.dumps(c.context) for c in batch],
            })  # fmt: skip
            inserted = cursor.fetchall()
        by_tenant: dict[int, list[int]] = {}
        for send_id, tenant_id in inserted:
            by_tenant.setdefault(tenant_id, []).append(send_id)
        orphans: list[int] = []
        for tenant_id, ids in by_tenant.items():
            size = send_batch_size(runtime.get_plugin_settings(PLUGIN_ID, tenant_id))
            for start in range(0, len(ids), size):
                chunk = ids[start:start + size]
                event = emit_event(event_types.CAMPAIGN_SEND_DUE, tenant_id=tenant_id,
                                   object_type=SEND_OBJECT_TYPE, object_id=str(chunk[0]),
                                   payload={"send_ids": chunk})
                if event is None:
                    orphans += chunk  # switched off meanwhile: leave them for a later run
        if orphans:
            CampaignSend.objects.filter(pk__in=orphans).delete()
    return len(inserted) - len(orphans)


def queue_candidates(campaign: Campaign, candidates: Sequence[Candidate],
                     run: CampaignRun | None = None) -> Outcome:
    """Skip who must not get it, insert the rest batch by batch; the counts of each."""
    outcome = Outcome(selected=len(candidates))
    eligible: list[Candidate] = []
    recently_sent = 0
    # An address erased on a data-subject request is never written to again, even when a
    # partner row holding it exists (counted with "no e-mail": there is none to use).
    erased = tombstone_checker(Tombstone.Kind.EMAIL, {c.tenant_id for c in candidates})
    for candidate in candidates:
        if candidate.already_sent:
            recently_sent += 1
        elif not candidate.email:
            outcome.skipped_no_email += 1
        elif campaign.is_marketing and not candidate.marketing_consent:
            outcome.skipped_no_consent += 1
        elif erased(candidate.tenant_id, candidate.email):
            # Last: only the otherwise eligible are hashed (a few µs each).
            outcome.skipped_no_email += 1
            refused("campaigns.selection", candidate.tenant_id, f"partner {candidate.partner_id}")
        else:
            eligible.append(candidate)
    for start in range(0, len(eligible), BATCH_SIZE):
        outcome.queued += _insert_batch(campaign, run, eligible[start:start + BATCH_SIZE])
    # Rows that conflicted were queued by an earlier run (or the event path) already.
    outcome.skipped_already_sent = recently_sent + len(eligible) - outcome.queued
    return outcome


def _advance_machine_watermark(campaign: Campaign) -> None:
    """New machines: "new" means added after the previous run (the first run only notes
    where that starts, so it does not announce the whole fleet)."""
    latest = Machine.objects.aggregate(last=Max("pk"))["last"] or 0
    campaign.state = {**campaign.state, "last_machine_id": latest}
    campaign.save(update_fields=["state", "updated_at"])


def run_campaign(campaign: Campaign, today: date | None = None) -> CampaignRun:
    """Select, queue and count one campaign for `today` (Europe/Budapest by default)."""
    today = today or timezone.localdate()
    run = CampaignRun.objects.create(campaign=campaign, occasion_date=today)
    tenant_ids = enabled_tenant_ids(campaign)
    candidates: list[Candidate] = []
    first_machines_run = (campaign.kind == CampaignKind.NEW_MACHINES
                          and "last_machine_id" not in campaign.state)
    if tenant_ids and not first_machines_run:
        candidates = select_candidates(campaign, today, tenant_ids)
    outcome = queue_candidates(campaign, candidates, run)
    if tenant_ids and campaign.kind == CampaignKind.NEW_MACHINES:
        _advance_machine_watermark(campaign)  # the next run announces only newer machines
    for field, value in vars(outcome).items():
        setattr(run, field, value)
    run.finished_at = timezone.now()
    run.save()
    log.info("campaign.run kind=%s date=%s selected=%d queued=%d skipped_consent=%d "
             "skipped_email=%d skipped_already=%d", campaign.kind, today, outcome.selected,
             outcome.queued, outcome.skipped_no_consent, outcome.skipped_no_email,
             outcome.skipped_already_sent)
    return run


def queue_one(kind: str, candidate: Candidate) -> bool:
    """The event path (a rental due tomorrow, a repair done): one row; False if not queued."""
    campaign = Campaign.objects.filter(kind=kind).first()
    if campaign is None or candidate.tenant_id not in enabled_tenant_ids(campaign):
        return False
    return queue_candidates(campaign, [candidate]).queued == 1


__all__ = ("Outcome", "enabled_tenant_ids", "queue_candidates", "queue_one", "run_campaign")
