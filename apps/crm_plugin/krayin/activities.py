"""ERP history and the aggregates on the person's Krayin timeline, each exactly once.

One note activity per source object (rental, worklog, order, Chatwoot conversation),
remembered by an ExternalRef on that object. Creating an activity is not idempotent in
Krayin, so when a create may already have happened (a retried delivery or batch: the
response may have been lost) the person's timeline is read first and a note whose title
carries the same `[key]` is taken over instead of written twice.

The aggregates note ("KGC ügyféladatok") is created once per person and updated in
place, only when its text changed (the text is remembered on the partner's link).
"""

from __future__ import annotations

from django.db.models import Model

from apps.plugin_manager.eventbus import external_refs
from kgc_erp.partners.models import Partner

from . import mappers
from .client import JsonObject, KrayinClient
from .config import SYSTEM
from .errors import KrayinNotFound


def _id(row: JsonObject) -> int:
    return int(str(row["id"]))


def find_keyed_note(client: KrayinClient, person_id: int, key: str) -> JsonObject | None:
    for activity in client.person_activities(person_id):
        if mappers.title_key(activity.get("title")) == key:
            return activity
    return None


def push_note(client: KrayinClient, *, person_id: int, tenant_id: int, obj: Model | None,
              object_type: str | None = None, object_id: str | None = None,
              note: tuple[str, str, str], maybe_done: bool, gone: bool = False) -> int:
    """The note of one source object on the person's timeline; its activity id.

    `maybe_done`: an earlier attempt may have created it (retry), so look before writing.
    `gone`: the reconciliation found the linked activity missing in Krayin: write it again.
    """
    key, title, comment = note
    ref = external_refs.find_ref(SYSTEM, tenant=tenant_id, obj=obj, object_type=object_type,
                                 object_id=object_id)  # fmt: skip
    if (not gone and ref is not None and ref.external_id
            and ref.data.get("person_id") == person_id):
        return int(ref.external_id)
    existing = find_keyed_note(client, person_id, key) if maybe_done else None
    activity = existing or client.create_activity(mappers.note_activity(person_id, title,
                                                                        comment))
    external_refs.link(SYSTEM, _id(activity), tenant=tenant_id, obj=obj,
                       object_type=object_type, object_id=object_id,
                       data={"person_id": person_id, "key": key})  # fmt: skip
    return _id(activity)


def push_summary(client: KrayinClient, partner: Partner, person_id: int, comment: str, *,
                 maybe_done: bool, drifted: bool = False) -> None:
    """Create or update the person's aggregates note (no call when nothing changed;
    `drifted`: the reconciliation saw it differ in Krayin)."""
    ref = external_refs.find_ref(SYSTEM, tenant=partner.tenant_id, obj=partner)
    data = dict(ref.data) if ref is not None else {}
    activity_id = data.get("summary_activity_id")
    if isinstance(activity_id, int):
        if data.get("summary") == comment and not drifted:
            return
        try:
            client.update_activity(activity_id, {"comment": comment,
                                                 "title": mappers.SUMMARY_TITLE})
        except KrayinNotFound:  # deleted by hand in Krayin: write a new one
            activity_id = None
    if not isinstance(activity_id, int):
        existing = None
        if maybe_done:
            existing = next((a for a in client.person_activities(person_id)
                             if a.get("title") == mappers.SUMMARY_TITLE), None)  # fmt: skip
        if existing is not None:
            activity_id = _id(existing)
            client.update_activity(activity_id, {"comment": comment})
        else:
            activity_id = _id(client.create_activity(
                mappers.summary_activity(person_id, comment)))
    data.update({"summary_activity_id": activity_id, "summary": comment})
    external_refs.link(SYSTEM, str(person_id), tenant=partner.tenant_id, obj=partner, data=data)


__all__ = ("find_keyed_note", "push_note", "push_summary")
