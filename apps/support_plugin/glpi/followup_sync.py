"""Chatwoot message -> GLPI followup, exactly once per message id.

The record row (``GlpiSyncRecord``, key ``m<message id>``) is committed *before* the
create. A later run that finds it pending (a replayed webhook, a retry after a lost
response) searches the ticket's followups for the message's marker before creating.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from . import mappers
from .client import GlpiClient, require_int
from .models import GlpiSyncRecord, GlpiTicketLink

log = logging.getLogger("support_plugin.glpi.followups")


def mirror_message(client: GlpiClient, link: GlpiTicketLink, *, message_id: int, content: str,
                   sender_type: str, private: bool) -> int | None:
    """The followup of this message (created if needed); None when it is the ticket's own
    description."""
    assert link.ticket_id is not None
    with transaction.atomic():  # committed before the create: a crash leaves it pending
        record, created = GlpiSyncRecord.objects.get_or_create(
            ticket=link, direction=GlpiSyncRecord.Direction.TO_GLPI, key=f"m{message_id}",
            defaults={"chatwoot_message_id": message_id},
        )
    if record.state != GlpiSyncRecord.State.PENDING:
        return record.followup_id  # done (or the ticket's description): nothing to write
    # The row stays locked until the followup id is stored: a second run of the same
    # message (a redelivery whose lease ran out, a replay) waits here and then finds it done.
    with transaction.atomic():
        record = GlpiSyncRecord.objects.select_for_update().get(pk=record.pk)
        if record.state != GlpiSyncRecord.State.PENDING:
            return record.followup_id
        followup_id = None if created else _find(client, link, message_id)
        if followup_id is None:
            followup_id = client.create_item("ITILFollowup", mappers.followup_input(
                ticket_id=link.ticket_id, account_id=link.account_id, message_id=message_id,
                content=content, sender_type=sender_type, private=private))
            log.info("glpi.followup.created ticket=%s followup=%s message=%s", link.ticket_id,
                     followup_id, message_id)
        else:
            log.info("glpi.followup.adopted ticket=%s followup=%s message=%s", link.ticket_id,
                     followup_id, message_id)
        record.followup_id = followup_id
        record.state = GlpiSyncRecord.State.DONE
        record.save(update_fields=["followup_id", "state", "updated_at"])
        GlpiTicketLink.objects.filter(pk=link.pk).update(last_synced_at=timezone.now(),
                                                         last_error="")
    return followup_id


def _find(client: GlpiClient, link: GlpiTicketLink, message_id: int) -> int | None:
    marker = mappers.message_marker(link.account_id, message_id)
    for row in client.find_containing(f"Ticket/{link.ticket_id}/ITILFollowup", "content",
                                      marker):
        return require_int(row, "id", "ITILFollowup lookup")
    return None


__all__ = ("mirror_message",)
