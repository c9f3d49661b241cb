"""Use case: won Krayin leads become franchise tenants (poll of leads changed since the
cursor; run by a push from Krayin's workflow webhook and by the beat safety net).

`GET /leads?sort=updated_at&order=desc` is paged until a lead older than the cursor;
every lead in a `won` stage is handed to the shared `franchise_onboarding` use case
under the key `krayin:<instance>:<lead id>` (exactly once, whoever polls, however often).
The cursor moves only after a complete pass, so an interrupted poll re-reads instead of
skipping. Polls of one instance never overlap (a cache lock); a push arriving during a
poll asks the running poll for one more pass, so its change is never left to wait for the
next beat.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.crm_plugin.franchise_onboarding import deal_key, onboard_franchise
from apps.plugin_manager.privacy.tombstones import partner_erased, refused, tombstoned_anywhere

from . import mappers
from .client import JsonObject, KrayinClient
from .config import BACKEND
from .leads import lead_setup
from .models import LeadPollCursor

log = logging.getLogger("crm_plugin.krayin.lead_poll")

LOCK_SECONDS = 300
MAX_PASSES = 3
_KEY_PREFIX = re.compile(r"^\[[^\]]*\]\s*")


@dataclass
class PollResult:
    leads_seen: int = 0
    tenants_created: int = 0
    skipped: bool = False


def lead_deal_key(instance_key: str, lead_id: object) -> str:
    return deal_key(BACKEND, f"{instance_key}:{lead_id}")


def _updated(lead: JsonObject) -> dt.datetime | None:
    value = lead.get("updated_at")
    return parse_datetime(value) if isinstance(value, str) else None


def _franchise_name(lead: JsonObject) -> str:
    title = str(lead.get("title") or "")
    return _KEY_PREFIX.sub("", title).strip()


def _values(person: JsonObject, key: str) -> list[str]:
    items = person.get(key)
    if not isinstance(items, list):
        return []
    return [str(i["value"]) for i in items if isinstance(i, dict) and i.get("value")]


def of_erased_person(lead: JsonObject) -> bool:
    """The lead's person is one erased on a data-subject request (our marker names an
    erased partner, or its e-mail / phone is tombstoned): its title would bring the name
    back as a franchise tenant, so it is not onboarded automatically. A Krayin instance
    may serve several stores: a tombstone of any of them counts."""
    person = lead.get("person")
    if not isinstance(person, dict):
        return False
    emails = _values(person, "emails")
    for value in emails:
        partner_pk = mappers.partner_pk_from_marker(value)
        if partner_pk is not None and partner_erased(partner_pk):
            return True
    return any(tombstoned_anywhere(email=v) for v in emails) or any(
        tombstoned_anywhere(phone=v) for v in _values(person, "contact_numbers"))


def _one_pass(client: KrayinClient, cursor: LeadPollCursor, result: PollResult) -> None:
    won = lead_setup(client).won_stage_ids
    newest = cursor.cursor
    seen = 0
    for lead in client.iter_leads_changed():
        updated = _updated(lead)
        if cursor.cursor is not None and updated is not None and updated < cursor.cursor:
            break  # older than the cursor second: read in an earlier pass
        seen += 1
        if updated is not None and (newest is None or updated > newest):
            newest = updated
        if lead.get("lead_pipeline_stage_id") in won:
            if of_erased_person(lead):
                refused("krayin.lead_poll", 0, f"lead {lead.get('id')}")
                continue
            key = lead_deal_key(client.config.instance_key, lead["id"])
            if onboard_franchise(key, _franchise_name(lead)) is not None:
                result.tenants_created += 1
    result.leads_seen += seen
    cursor.cursor = newest
    cursor.polled_at = timezone.now()
    cursor.leads_seen = seen
    cursor.save(update_fields=["cursor", "polled_at", "leads_seen"])


def poll_leads(client: KrayinClient) -> PollResult:
    config = client.config
    lock_key = f"crm:krayin:poll:{config.instance_key}"
    again_key = f"{lock_key}:again"
    owner = uuid.uuid4().hex
    result = PollResult()
    if not cache.add(lock_key, owner, LOCK_SECONDS):
        cache.set(again_key, "1", LOCK_SECONDS)  # the running poll makes one more pass
        result.skipped = True
        return result
    try:
        cursor, _ = LeadPollCursor.objects.get_or_create(
            instance_key=config.instance_key, defaults={"api_url": config.api_url}
        )
        for _ in range(MAX_PASSES):
            cache.delete(again_key)
            _one_pass(client, cursor, result)
            if not cache.get(again_key):
                break
    finally:
        if cache.get(lock_key) == owner:
            cache.delete(lock_key)
    log.info("krayin lead poll %s: %d leads seen, %d tenants created", config.instance_key,
             result.leads_seen, result.tenants_created)
    return result


__all__ = ("PollResult", "lead_deal_key", "of_erased_person", "poll_leads")
