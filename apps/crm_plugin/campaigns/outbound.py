"""The campaigns' event-bus subscribers (named in the manifest's `subscriptions`).

`send_campaign_batch` is the sending itself: one delivery per batch of CampaignSend rows
(`batches.py`). It is idempotent: a row already sent (or failed, or skipped) is never sent
again, and a retry finds only the rows still pending. SMTP has no idempotency key, so
each row is marked "sending" (committed) before its message data goes out and given its
outcome right after; a retry that finds a row still "sending" met a worker killed inside
that window: the server may or may not have the message, and we choose never to send a
customer the same e-mail twice: the row is failed as uncertain, with the reason in the
admin (which can resend it).
"""

from __future__ import annotations

import logging

from django.db import transaction

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.rentals.models import Rental
from kgc_erp.service.models import Worklog

from .batches import UNCERTAIN, batch_send_ids, raise_for, send_batch
from .config import rate_per_minute
from .models import CampaignKind
from .queueing import queue_one
from .selection import Candidate, conversation_link_table, rental_occasion_key, worklog_occasion_key

log = logging.getLogger("crm_plugin.campaigns")


def send_campaign_batch(context: DeliveryContext) -> None:
    """Send the delivery's batch; retried while rows of it wait (4xx, connection, rate
    limit), dead when e-mails of it were rejected (5xx) and none waits."""
    ids = batch_send_ids(context.payload, context.object_id)
    if not ids:
        return
    result = send_batch(ids, tenant_id=context.tenant.pk,
                        per_minute=rate_per_minute(context.settings))
    raise_for(result)


def remind_rental_due_tomorrow(context: DeliveryContext) -> None:
    """The core announced a rental due tomorrow (once per rental and date): queue its
    e-mail under the same key the daily selection uses, so either path sends it once."""
    rental = context.load_object()
    if not isinstance(rental, Rental) or rental.status != Rental.Status.ACTIVE:
        return
    partner = rental.partner
    if not partner.is_active:
        return
    queue_one(CampaignKind.EXPIRY_REMINDER, Candidate(
        partner_id=partner.pk, tenant_id=partner.tenant_id, email=partner.email,
        marketing_consent=partner.marketing_consent,
        occasion_key=rental_occasion_key(rental.pk, rental.end_date),
        context={"rental_id": rental.pk}))


def _has_conversation(worklog: Worklog) -> bool:
    table = conversation_link_table()
    if table is None:
        return False
    from django.apps import apps

    link = apps.get_model("support_plugin", "ConversationLink")
    return bool(link.objects.filter(worklog__partner_id=worklog.partner_id).exists())


def notify_repair_ready(context: DeliveryContext) -> None:
    """A worklog is done: e-mail partners the support plugin does not reach in Chatwoot."""
    worklog = context.load_object()
    if not isinstance(worklog, Worklog) or worklog.status != Worklog.Status.DONE:
        return
    partner = worklog.partner
    if not partner.is_active or _has_conversation(worklog):
        return
    with transaction.atomic():
        queue_one(CampaignKind.REPAIR_READY, Candidate(
            partner_id=partner.pk, tenant_id=partner.tenant_id, email=partner.email,
            marketing_consent=partner.marketing_consent,
            occasion_key=worklog_occasion_key(worklog.pk), context={"worklog_id": worklog.pk}))


__all__ = ("UNCERTAIN", "notify_repair_ready", "remind_rental_due_tomorrow",
           "send_campaign_batch")
