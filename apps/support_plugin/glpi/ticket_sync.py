"""Conversation -> GLPI ticket: create it once, and follow the conversation's status.

Exactly one ticket per conversation: the link row is committed *before* the create, so
a later attempt that finds the row without a ticket id knows a create may have reached
GLPI (its answer lost) and searches GLPI for the conversation's marker before creating.
Deliveries of one conversation run one at a time (same bus object), so two creates of
the same ticket never race.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kgc_erp.partners.models import Partner
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import add_timeline_entry
from kgc_erp.tenants.models import Tenant

from . import classification, mappers
from .client import GlpiClient, require_int
from .config import GlpiSettings
from .event_types import ContactInfo, ConversationPayload
from .models import GlpiSyncRecord, GlpiTicketLink
from .requester import ensure_requester

log = logging.getLogger("support_plugin.glpi.tickets")

TIMELINE_SOURCE = "glpi"


@dataclass(frozen=True)
class TicketSource:
    """What a ticket is made of: from ``conversation_created``, or from the first message
    event when that one is processed first."""

    account_id: int
    conversation_id: int
    first_message_id: int | None
    first_message: str
    partner_id: int | None = None
    worklog_id: int | None = None
    status: str = ""
    contact: ContactInfo = field(default_factory=lambda: ContactInfo())
    conversation: ConversationPayload = field(default_factory=lambda: ConversationPayload())


def ticket_url(settings: GlpiSettings, ticket_id: int) -> str:
    """The ticket's page in GLPI's UI (the API base without ``apirest.php``)."""
    base = settings.api_url.rstrip("/")
    base = base[: -len("/apirest.php")] if base.endswith("/apirest.php") else base
    return f"{base}/front/ticket.form.php?id={ticket_id}"


def _adopt_existing(client: GlpiClient, source: TicketSource) -> int | None:
    marker = mappers.ticket_marker(source.account_id, source.conversation_id)
    for row in client.find_containing("Ticket/", "content", marker):
        return require_int(row, "id", "Ticket lookup")
    return None


def _create(client: GlpiClient, settings: GlpiSettings, tenant: Tenant,
            source: TicketSource) -> tuple[int, int | None]:
    partner = (Partner.objects.filter(pk=source.partner_id, tenant=tenant).first()
               if source.partner_id else None)
    requester = ensure_requester(client, settings, tenant, partner=partner,
                                 account_id=source.account_id, contact=source.contact)
    kind = classification.classify(source.conversation, default_type=settings.ticket_type,
                                   categories=settings.label_categories)
    fields = mappers.ticket_input(
        account_id=source.account_id, conversation_id=source.conversation_id,
        first_message=source.first_message, classification=kind,
        entity_id=settings.entity_id,
        requester_user_id=requester.id if requester and requester.kind == "user" else None,
        requester_email=requester.email if requester else None,
    )
    return client.create_item("Ticket", fields), requester.id if requester else None


def ensure_ticket(client: GlpiClient, settings: GlpiSettings, tenant: Tenant,
                  source: TicketSource) -> GlpiTicketLink:
    """The conversation's ticket, created in GLPI when it does not exist yet."""
    with transaction.atomic():  # committed before the create: a crash leaves it pending
        link, created = GlpiTicketLink.objects.get_or_create(
            tenant=tenant, account_id=source.account_id, conversation_id=source.conversation_id,
            defaults={"worklog_id": _worklog_id(tenant, source.worklog_id),
                      "chatwoot_status": source.status[:20]},
        )
    if link.ticket_id is None:
        # Locked until the ticket id is stored: a second run for the same conversation
        # (a redelivery whose lease ran out) waits here, then finds the ticket.
        with transaction.atomic():
            link = GlpiTicketLink.objects.select_for_update().get(pk=link.pk)
            if link.ticket_id is None:
                ticket_id = None if created else _adopt_existing(client, source)
                requester_id = link.requester_id
                if ticket_id is not None:
                    log.info("glpi.ticket.adopted ticket=%s conversation=%s", ticket_id,
                             link.object_id)
                else:
                    ticket_id, requester_id = _create(client, settings, tenant, source)
                    log.info("glpi.ticket.created ticket=%s conversation=%s", ticket_id,
                             link.object_id)
                _complete(link, ticket_id, requester_id, source, settings)
    elif link.worklog_id is None and source.worklog_id:
        link.worklog_id = _worklog_id(tenant, source.worklog_id)
        if link.worklog_id:
            link.save(update_fields=["worklog", "updated_at"])
            _note_on_worklog(link, settings)
    return link


def _worklog_id(tenant: Tenant, worklog_id: int | None) -> int | None:
    if not worklog_id:
        return None
    return Worklog.objects.filter(pk=worklog_id, tenant=tenant).values_list(
        "pk", flat=True).first()


def _complete(link: GlpiTicketLink, ticket_id: int, requester_id: int | None,
              source: TicketSource, settings: GlpiSettings) -> None:
    with transaction.atomic():
        link.ticket_id = ticket_id
        link.requester_id = requester_id
        link.glpi_status = mappers.NEW
        link.last_synced_at = timezone.now()
        link.last_error = ""
        link.save(update_fields=["ticket_id", "requester_id", "glpi_status", "last_synced_at",
                                 "last_error", "updated_at"])
        if source.first_message_id:
            # The first message is the ticket's description: never a followup as well.
            GlpiSyncRecord.objects.update_or_create(
                ticket=link, direction=GlpiSyncRecord.Direction.TO_GLPI,
                key=f"m{source.first_message_id}",
                defaults={"state": GlpiSyncRecord.State.DONE,
                          "chatwoot_message_id": source.first_message_id},
            )
        _note_on_worklog(link, settings)


def _note_on_worklog(link: GlpiTicketLink, settings: GlpiSettings) -> None:
    """The worklog opened from the same conversation shows the ticket on its timeline."""
    if link.worklog_id is None or link.ticket_id is None:
        return
    worklog = Worklog.objects.filter(pk=link.worklog_id).first()
    if worklog is not None:
        add_timeline_entry(worklog, f"GLPI jegy #{link.ticket_id}: "
                                    f"{ticket_url(settings, link.ticket_id)}",
                           source=TIMELINE_SOURCE)


# Chatwoot status -> the GLPI status it implies (None: leave the ticket as it is).
def target_status(chatwoot_status: str, current: int | None) -> int | None:
    if chatwoot_status == "resolved":
        return None if current in (mappers.SOLVED, mappers.CLOSED) else mappers.SOLVED
    if chatwoot_status == "open" and current in (mappers.SOLVED, mappers.WAITING):
        return mappers.ASSIGNED  # reopened: back to processing
    return None


def follow_status(client: GlpiClient, link: GlpiTicketLink, chatwoot_status: str) -> None:
    """Resolved in Chatwoot -> ticket solved; reopened -> back to processing. The link's
    row stays locked while GLPI is changed, so the poll (which takes the same lock before
    it compares statuses) never reports our own change back as a technician's."""
    assert link.ticket_id is not None
    with transaction.atomic():
        locked = GlpiTicketLink.objects.select_for_update().get(pk=link.pk)
        current = locked.glpi_status
        if chatwoot_status == "open" and current in (mappers.SOLVED, mappers.WAITING, None):
            # Our record may be stale (a technician changed it since the last poll).
            row = client.get_item("Ticket", link.ticket_id)
            current = require_int(row, "status", f"Ticket {link.ticket_id}")
        wanted = target_status(chatwoot_status, current)
        if wanted is not None:
            client.update_item("Ticket", link.ticket_id, {"status": wanted})
            log.info("glpi.ticket.status ticket=%s %s -> %s", link.ticket_id, current, wanted)
        locked.chatwoot_status = chatwoot_status[:20]
        locked.glpi_status = wanted if wanted is not None else current
        locked.last_synced_at = timezone.now()
        locked.last_error = ""
        locked.save(update_fields=["chatwoot_status", "glpi_status", "last_synced_at",
                                   "last_error", "updated_at"])


__all__ = ("TicketSource", "ensure_ticket", "follow_status", "target_status", "ticket_url")
