"""Use case: a Chatwoot conversation with purchase intent becomes a Krayin lead.

Purchase intent is a conversation label (`ertekesites`, `vasarlas`, ... see
`PURCHASE_LABELS`). The lead goes into the default pipeline's first stage, owned by the
API user, linked to the partner's person; one lead per conversation (an ExternalRef of
system `krayin.lead` on the conversation; a retry looks for the `[CW-<id>]` title first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from apps.plugin_manager.eventbus import external_refs

from . import mappers
from .client import JsonObject, KrayinClient
from .config import LEAD_SYSTEM
from .errors import KrayinNotFound, KrayinServerError, KrayinValidationError

PURCHASE_LABELS = frozenset({"ertekesites", "értékesítés", "vasarlas", "vásárlás", "sales",
                             "ajanlatkeres"})  # fmt: skip
LEAD_SOURCE_NAME = "Chatwoot"
NEW_STAGE = "new"
WON_STAGE = "won"
CONVERSATION_OBJECT_TYPE = "chatwoot.conversation"


def is_purchase(labels: Iterable[object]) -> bool:
    return any(isinstance(label, str) and label.strip().lower() in PURCHASE_LABELS
               for label in labels)  # fmt: skip


@dataclass(frozen=True)
class LeadSetup:
    """Ids a lead needs, read from the instance's settings (remembered per process for
    `SETUP_TTL_SECONDS`, and read again when a create fails)."""

    user_id: int
    new_stage_id: int
    won_stage_ids: frozenset[int]
    source_id: int
    type_id: int


# Re-read now and then: an admin may add a pipeline or rename stages in Krayin.
SETUP_TTL_SECONDS = 600.0
_setups: dict[str, tuple[LeadSetup, float]] = {}
_setups_lock = threading.Lock()


def _stage_ids(pipeline: JsonObject, code: str) -> list[int]:
    stages = pipeline.get("stages")
    if not isinstance(stages, list):
        return []
    return [int(str(s["id"])) for s in stages if isinstance(s, dict) and s.get("code") == code]


def lead_setup(client: KrayinClient) -> LeadSetup:
    key = client.config.account_key
    with _setups_lock:
        remembered = _setups.get(key)
        if remembered is not None and time.monotonic() - remembered[1] < SETUP_TTL_SECONDS:
            return remembered[0]
    pipelines = client.pipelines()
    first = pipelines[0] if pipelines else None
    default = next((p for p in pipelines if p.get("is_default")), first)
    if default is None or not _stage_ids(default, NEW_STAGE):
        raise KrayinServerError("Krayin has no default pipeline with a 'new' stage")
    won = frozenset(i for p in pipelines for i in _stage_ids(p, WON_STAGE))
    sources = client.lead_sources()
    source = next((s for s in sources if s.get("name") == LEAD_SOURCE_NAME), None)
    if source is None:
        source = client.create_lead_source(LEAD_SOURCE_NAME)
    types = client.lead_types()
    if not types:
        raise KrayinServerError("Krayin has no lead type")
    me = client.request("GET", "get").get("data")
    if not isinstance(me, dict):
        raise KrayinServerError("GET /get without data")
    setup = LeadSetup(
        user_id=int(str(me["id"])), new_stage_id=_stage_ids(default, NEW_STAGE)[0],
        won_stage_ids=won, source_id=int(str(source["id"])),
        type_id=int(str(min(types, key=lambda t: int(str(t["id"])))["id"])),
    )  # fmt: skip
    with _setups_lock:
        _setups[key] = (setup, time.monotonic())
    return setup


def forget_setups(account_key: str | None = None) -> None:
    """Drop the remembered ids (of one Krayin user, or all)."""
    with _setups_lock:
        if account_key is None:
            _setups.clear()
        else:
            _setups.pop(account_key, None)


def _find(client: KrayinClient, person_id: int, key: str) -> JsonObject | None:
    return next((lead for lead in client.leads_of_person(person_id)
                 if mappers.title_key(lead.get("title")) == key), None)  # fmt: skip


def _create(client: KrayinClient, setup: LeadSetup, title: str, conversation_id: str,
            person_id: int) -> JsonObject:
    return client.create_lead(mappers.lead_payload(
        title=title, description=f"Chatwoot beszélgetés #{conversation_id}",
        person_id=person_id, user_id=setup.user_id, stage_id=setup.new_stage_id,
        source_id=setup.source_id, type_id=setup.type_id,
    ))  # fmt: skip


def ensure_lead(client: KrayinClient, *, tenant_id: int, conversation_id: str, person_id: int,
                partner_name: str, maybe_done: bool) -> int:
    """The conversation's lead (created once); its Krayin id."""
    ref = external_refs.find_ref(LEAD_SYSTEM, tenant=tenant_id,
                                 object_type=CONVERSATION_OBJECT_TYPE, object_id=conversation_id)
    if ref is not None and ref.external_id:
        return int(ref.external_id)
    key = f"CW-{conversation_id}"
    existing = _find(client, person_id, key) if maybe_done else None
    if existing is None:
        title = mappers.keyed_title(key, f"Vásárlási érdeklődés – {partner_name}")
        try:
            existing = _create(client, lead_setup(client), title, conversation_id, person_id)
        except (KrayinServerError, KrayinValidationError, KrayinNotFound):
            # The remembered ids may be stale (our source or the stage deleted in Krayin,
            # or a fresh instance at the same URL): read them again and try once more,
            # unless the failed create was stored after all (a lost answer).
            forget_setups(client.config.account_key)
            fresh = lead_setup(client)
            existing = _find(client, person_id, key) or _create(
                client, fresh, title, conversation_id, person_id
            )
    lead_id = int(str(existing["id"]))
    external_refs.link(LEAD_SYSTEM, lead_id, tenant=tenant_id,
                       object_type=CONVERSATION_OBJECT_TYPE, object_id=conversation_id)
    return lead_id


__all__ = ("PURCHASE_LABELS", "LeadSetup", "ensure_lead", "forget_setups", "is_purchase",
           "lead_setup")
