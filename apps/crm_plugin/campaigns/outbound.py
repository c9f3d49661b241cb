"""The campaigns' event-bus subscribers (named in the manifest's `subscriptions`).

`send_campaign_email` is the send itself, one delivery per CampaignSend. It is idempotent:
a send already sent (or failed, or skipped) is never sent again. SMTP has no idempotency
key, so the row is marked "sending" (committed) just before the SMTP transaction and set
to sent or back to pending right after it. A retry that finds a row still "sending" met a
worker killed inside that window: the server may or may not have the message, and we
choose never to send a customer the same e-mail twice: the row is failed as uncertain,
with the reason in the admin (which can resend it).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from apps.plugin_manager.privacy.tombstones import is_tombstoned, refused
from kgc_erp.rentals.models import Rental
from kgc_erp.service.models import Worklog

from . import rate_limit
from .config import rate_per_minute
from .errors import EmailRejected, RateLimited
from .models import CampaignKind, CampaignSend
from .queueing import queue_one
from .rendering import render_email
from .selection import Candidate, conversation_link_table, rental_occasion_key, worklog_occasion_key
from .sending import build_message, send_message

log = logging.getLogger("crm_plugin.campaigns")

UNCERTAIN = ("bizonytalan: a küldés közben leállt a feldolgozó, a szerver megkaphatta a "
             "levelet; a kettős küldés elkerülésére nem küldtük újra")


def _skip(send: CampaignSend, reason: str) -> None:
    CampaignSend.objects.filter(pk=send.pk, status=CampaignSend.Status.PENDING).update(
        status=CampaignSend.Status.SKIPPED, error=reason)
    log.info("campaign.send.skipped id=%s reason=%s", send.pk, reason)


def send_campaign_email(context: DeliveryContext) -> None:
    """Render and send one CampaignSend; mark it sent (with its Message-ID) or failed."""
    send = (CampaignSend.objects.select_related("campaign", "partner")
            .filter(pk=context.object_id).first())
    if send is None:
        return
    if send.status == CampaignSend.Status.SENDING:
        CampaignSend.objects.filter(pk=send.pk, status=CampaignSend.Status.SENDING).update(
            status=CampaignSend.Status.FAILED, error=UNCERTAIN)
        log.warning("campaign.send.uncertain id=%s message_id=%s", send.pk, send.message_id)
        return
    if send.status != CampaignSend.Status.PENDING:
        return  # already sent / failed / skipped: never twice
    partner, campaign = send.partner, send.campaign
    # Re-checked at send time: consent may have been withdrawn since the selection.
    if not partner.is_active or not partner.email:
        _skip(send, "nincs e-mail cím vagy a partner inaktív")
        return
    if campaign.is_marketing and not partner.marketing_consent:
        _skip(send, "nincs marketing hozzájárulás")
        return
    if is_tombstoned(send.tenant_id, email=partner.email):
        refused("campaigns.send", send.tenant_id, f"send {send.pk}")
        _skip(send, "adatvédelmi kérelem alapján törölt cím")
        return
    wait = rate_limit.take(send.tenant_id, rate_per_minute(context.settings))
    if wait > 0:
        raise RateLimited("a telephely küldési kerete elfogyott", retry_after=wait)
    rendered = render_email(campaign, partner, send.context)
    message = build_message(rendered, partner.email)
    send.to_email = partner.email
    send.subject, send.body_html, send.body_text = rendered.subject, rendered.html, rendered.text
    send.message_id = str(message.extra_headers["Message-ID"])
    # One statement, committed on its own (autocommit): the row says "sending" with exactly
    # what goes out before the SMTP transaction starts.
    claimed = CampaignSend.objects.filter(pk=send.pk, status=CampaignSend.Status.PENDING).update(
        status=CampaignSend.Status.SENDING, to_email=send.to_email, subject=send.subject,
        body_html=send.body_html, body_text=send.body_text, message_id=send.message_id)
    if not claimed:
        return
    try:
        send_message(message)
    except EmailRejected as exc:
        CampaignSend.objects.filter(pk=send.pk).update(status=CampaignSend.Status.FAILED,
                                                       error=exc.message)
        raise
    except BaseException as exc:
        # Refused for now, or our own failure: nothing reached the customer, retry later.
        CampaignSend.objects.filter(pk=send.pk).update(status=CampaignSend.Status.PENDING,
                                                       error=str(exc)[:1000])
        raise
    CampaignSend.objects.filter(pk=send.pk).update(status=CampaignSend.Status.SENT,
                                                   sent_at=timezone.now(), error="")
    log.info("campaign.send.sent id=%s kind=%s message_id=%s", send.pk, campaign.kind,
             send.message_id)


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


__all__ = ("notify_repair_ready", "remind_rental_due_tomorrow", "send_campaign_email")
