"""GLPI -> Chatwoot: GLPI 10 sends no webhooks, so a beat task reads the tickets changed
since the last cursor (``date_mod``, paged) and brings back to their conversations

* each new public followup a GLPI technician wrote: a message for the customer;
* each status change made in GLPI: a private note for the agents.

Never echoed: followups written by our API user (we wrote them from Chatwoot), followups
carrying our marker, and status changes we made ourselves (``GlpiTicketLink.glpi_status``
is updated when we set it). Each post is recorded (``GlpiSyncRecord``, key ``f<id>`` or
``s<status>@<date_mod>``) before it is sent, so a lost Chatwoot answer is looked up by its
``source_id`` instead of posted twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.plugin_manager.eventbus.models import ExternalRef, SyncStatus
from apps.plugin_manager.eventbus.object_refs import object_type_of
from apps.plugin_manager.privacy.tombstones import partner_erased, refused
from apps.support_plugin.chatwoot.client import ChatwootClient
from apps.support_plugin.chatwoot.config import settings_for as chatwoot_settings_for
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from . import mappers
from .client import GlpiClient, require_int
from .config import SYSTEM, settings_for
from .models import GlpiPollCursor, GlpiSyncRecord, GlpiTicketLink
from .outbound import OWN_SOURCE_PREFIX

log = logging.getLogger("support_plugin.glpi.poll")

GLPI_DATE = "%Y-%m-%d %H:%M:%S"
# Tickets changed in the same second as the cursor, but after the read, are not lost:
# every poll re-reads a short window before the cursor (the posts are idempotent).
OVERLAP = timedelta(seconds=120)
# Ticket search options (NOTES §4): 2 id, 12 status, 19 last update.
ID, STATUS, DATE_MOD = 2, 12, 19
MARKER_PREFIX = "[kgc-cw-"
PARTNER_OBJECT_TYPE = object_type_of(Partner)


@dataclass
class PollResult:
    tickets: int = 0
    messages: int = 0
    notes: int = 0


def _since(cursor: GlpiPollCursor, tenant: Tenant) -> str | None:
    if cursor.last_date_mod:
        start = datetime.strptime(cursor.last_date_mod, GLPI_DATE) - OVERLAP
        return start.strftime(GLPI_DATE)
    first = (GlpiTicketLink.objects.filter(tenant=tenant, ticket_id__isnull=False)
             .order_by("created_at").values_list("created_at", flat=True).first())
    if first is None:
        return None  # nothing mirrored yet: nothing to read back
    return (first - timedelta(days=1)).astimezone(UTC).strftime(GLPI_DATE)


def _api_user_id(client: GlpiClient) -> int:
    if client.session.user_id is None:
        client.session.user_id = require_int(client.get_full_session(), "glpiID",
                                             "getFullSession")
    return client.session.user_id


def poll_tenant(tenant: Tenant) -> PollResult:
    """One pass over the tenant's tickets changed since the cursor."""
    settings = settings_for(tenant)
    client = settings.client(tenant.pk)
    chatwoot = chatwoot_settings_for(tenant).client()
    cursor, _ = GlpiPollCursor.objects.get_or_create(tenant=tenant)
    since = _since(cursor, tenant)
    result = PollResult()
    if since is None:
        return result
    api_user = _api_user_id(client)
    newest = cursor.last_date_mod
    start = 0
    try:
        while True:
            page = client.search("Ticket", [{"field": DATE_MOD, "searchtype": "morethan",
                                             "value": since}],
                                 display=(ID, STATUS, DATE_MOD), start=start, sort=DATE_MOD)
            for row in page.rows:
                ticket_id = require_int(row, str(ID), "Ticket search")
                link = GlpiTicketLink.objects.filter(tenant=tenant, ticket_id=ticket_id).first()
                if link is not None and _of_erased_person(link):
                    refused("glpi.poll", tenant, f"ticket {ticket_id}")
                elif link is not None:
                    result.tickets += 1
                    _sync_ticket(client, chatwoot, link, require_int(row, str(STATUS),
                                 "Ticket search"), str(row.get(str(DATE_MOD)) or ""), api_user,
                                 result)
                date_mod = str(row.get(str(DATE_MOD)) or "")
                newest = max(newest, date_mod) if date_mod else newest
            start += len(page.rows)
            if not page.rows or start >= page.total:
                break
    finally:
        # Rows are read in date_mod order: everything up to `newest` is done (a failure
        # stops the pass before the failed ticket's date, so it is read again).
        cursor.last_date_mod = newest
        cursor.last_polled_at = timezone.now()
        cursor.save(update_fields=["last_date_mod", "last_polled_at"])
    return result


def _of_erased_person(link: GlpiTicketLink) -> bool:
    """The ticket's requester or worklog belongs to a partner erased on a data-subject
    request (its copy in GLPI waits for the privacy step, e.g. while GLPI was off): nothing
    of it is brought back into Chatwoot."""
    if link.worklog_id is not None and partner_erased(
            link.worklog.partner_id if link.worklog else None):
        return True
    if not link.requester_id:
        return False
    refs = ExternalRef.objects.filter(tenant_id=link.tenant_id, system=SYSTEM,
                                      external_id=str(link.requester_id))
    for ref in refs:
        if ref.sync_status == SyncStatus.DELETED:
            return True
        if ref.object_type == PARTNER_OBJECT_TYPE and partner_erased(int(ref.object_id)):
            return True
    return False


def _sync_ticket(client: GlpiClient, chatwoot: ChatwootClient, link: GlpiTicketLink,
                 status: int, date_mod: str, api_user: int, result: PollResult) -> None:
    if chatwoot.connection.account_id != link.account_id:
        log.warning("glpi.poll.other-account ticket=%s conversation=%s", link.ticket_id,
                    link.object_id)
        return
    try:
        followups = client.list_all(f"Ticket/{link.ticket_id}/ITILFollowup",
                                    params={"sort": "id", "order": "ASC"})
        highest = link.last_followup_id
        ours = set(link.records.filter(direction=GlpiSyncRecord.Direction.TO_GLPI,
                                       followup_id__isnull=False)
                   .values_list("followup_id", flat=True))
        for followup in followups:
            followup_id = require_int(followup, "id", "ITILFollowup")
            if followup_id <= link.last_followup_id:
                continue
            content = str(followup.get("content") or "")
            technician_public = (followup.get("users_id") != api_user
                                 and not followup.get("is_private")
                                 and MARKER_PREFIX not in content
                                 and followup_id not in ours and bool(content.strip()))
            if technician_public and _post_once(
                    chatwoot, link, f"f{followup_id}",
                    mappers.technician_message(link.ticket_id or 0, content),
                    private=False, followup_id=followup_id):
                result.messages += 1
            highest = max(highest, followup_id)
        for key, fresh in _status_changes(client, link, status, date_mod):
            old, new = _statuses_of(key)
            if _post_once(chatwoot, link, key, mappers.status_note(link.ticket_id or 0, old, new),
                          private=True, just_recorded=fresh):
                result.notes += 1
        GlpiTicketLink.objects.filter(pk=link.pk).update(
            last_followup_id=highest, last_synced_at=timezone.now(), last_error="")
    except Exception as exc:
        GlpiTicketLink.objects.filter(pk=link.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise


def _statuses_of(key: str) -> tuple[int, int]:
    """``"s1-5@2026-..."`` -> (1, 5)."""
    old, _, new = key[1:].partition("@")[0].partition("-")
    return int(old), int(new)


def _status_changes(client: GlpiClient, link: GlpiTicketLink, seen: int,
                    date_mod: str) -> list[tuple[str, bool]]:
    """Keys of the status notes to post: a change made in GLPI (recorded now, under the
    link's row lock, which ``ticket_sync.follow_status`` holds while *it* changes the
    status, so our own change is never taken for a technician's), and any note an
    earlier poll recorded but could not post."""
    keys = [(key, False) for key in link.records.filter(
        direction=GlpiSyncRecord.Direction.TO_CHATWOOT, state=GlpiSyncRecord.State.PENDING,
        key__startswith="s").values_list("key", flat=True)]
    known = GlpiTicketLink.objects.filter(pk=link.pk).values_list("glpi_status", flat=True)
    if known.first() == seen:
        return keys
    with transaction.atomic():
        locked = GlpiTicketLink.objects.select_for_update().get(pk=link.pk)
        # The search row may be older than a change we just made: ask GLPI now.
        current = require_int(client.get_item("Ticket", link.ticket_id or 0), "status",
                              f"Ticket {link.ticket_id}")
        if locked.glpi_status is not None and current != locked.glpi_status:
            key = f"s{locked.glpi_status}-{current}@{date_mod}"
            _, created = GlpiSyncRecord.objects.get_or_create(
                ticket=locked, direction=GlpiSyncRecord.Direction.TO_CHATWOOT, key=key)
            keys.append((key, created))
        locked.glpi_status = current
        locked.save(update_fields=["glpi_status", "updated_at"])
    return keys


def _post_once(chatwoot: ChatwootClient, link: GlpiTicketLink, key: str, content: str, *,
               private: bool, followup_id: int | None = None,
               just_recorded: bool = False) -> bool:
    """Post into the conversation unless this key was posted already; True if posted.
    The record is committed before the post (``just_recorded``: by the caller)."""
    source_id = f"{OWN_SOURCE_PREFIX}{link.ticket_id}:{key}"
    with transaction.atomic():  # committed before the post: a crash leaves it pending
        record, created = GlpiSyncRecord.objects.get_or_create(
            ticket=link, direction=GlpiSyncRecord.Direction.TO_CHATWOOT, key=key,
            defaults={"followup_id": followup_id})
    if record.state != GlpiSyncRecord.State.PENDING:
        return False
    # Locked until the message id is stored: two polls at once never post it twice.
    with transaction.atomic():
        record = GlpiSyncRecord.objects.select_for_update().get(pk=record.pk)
        if record.state != GlpiSyncRecord.State.PENDING:
            return False
        message_id: int | None = None
        if not (created or just_recorded):  # an earlier post may have arrived, answer lost
            message_id = next((int(m["id"]) for m in chatwoot.list_messages(link.conversation_id)
                               if m.get("source_id") == source_id), None)
        if message_id is None:
            message_id = int(chatwoot.create_message(link.conversation_id, content,
                                                     private=private, source_id=source_id)["id"])
        record.chatwoot_message_id = message_id
        record.state = GlpiSyncRecord.State.DONE
        record.save(update_fields=["chatwoot_message_id", "state", "updated_at"])
    log.info("glpi.poll.posted ticket=%s key=%s private=%s", link.ticket_id, key, private)
    return True

__all__ = ("PollResult", "poll_tenant")
