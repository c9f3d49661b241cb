"""Nightly reconciliation of one tenant's partners with its Krayin: repair the drift.

The ERP always wins. Krayin is read in three calls (every person, every activity, without
pagination) and compared with what the ERP would write: a person missing or edited by
hand (name, e-mails, phones) is written again, an aggregates note that differs is
updated, a history note that is gone is written again, and a person carrying the marker
of a partner that is no longer active is deleted (the pipeline's partner.deleted should
have done it; this catches what it missed).
"""

from __future__ import annotations

from apps.crm_plugin.aggregates import compute_aggregates
from apps.crm_plugin.batch_sync import reconcile_phases, reconcile_run
from apps.crm_plugin.erp_history import RecordKind, history_queryset
from apps.crm_plugin.models import SyncRun
from apps.plugin_manager.eventbus import external_refs
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from . import mappers
from .activities import push_note, push_summary
from .client import JsonObject, KrayinClient
from .config import BACKEND, SYSTEM
from .initial_sync import BATCH_SIZE
from .partner_sync import history_note, person_id_of, withheld_values
from .persons import PersonIndex, labeled_pairs, person_differs, sync_person


def _by_marker(persons: list[JsonObject]) -> dict[int, JsonObject]:
    found: dict[int, JsonObject] = {}
    for person in persons:
        for value, _label in labeled_pairs(person, "emails"):
            pk = mappers.partner_pk_from_marker(value)
            if pk is not None:
                found.setdefault(pk, person)
    return found


def _reconcile_people(client: KrayinClient, run: SyncRun, tenant: Tenant,
                      activities: dict[int, JsonObject]) -> None:
    persons = client.all_persons()
    marked = _by_marker(persons)
    index = PersonIndex({}, {})
    for person in persons:
        index.remember(person)
    partners = list(Partner.objects.filter(is_active=True, tenant=tenant)
                    .select_related("tenant").order_by("pk"))  # fmt: skip
    run.total += len(partners)
    withheld = withheld_values(partners)
    for start in range(0, len(partners), BATCH_SIZE):
        chunk = partners[start : start + BATCH_SIZE]
        aggregates = compute_aggregates(p.pk for p in chunk)
        for partner in chunk:
            found = marked.get(partner.pk)
            if found is None or withheld[partner.pk] or person_differs(partner, found):
                found = sync_person(client, partner, index, withheld[partner.pk])
                run.repaired += 1
            person_id = int(str(found["id"]))
            comment = mappers.summary_comment(partner, aggregates[partner.pk])
            ref = external_refs.find_ref(SYSTEM, tenant=tenant, obj=partner)
            note_id = ref.data.get("summary_activity_id") if ref is not None else None
            note = activities.get(note_id) if isinstance(note_id, int) else None
            if note is None or note.get("comment") != comment or ref is None \
                    or str(ref.external_id) != str(person_id):
                if note is None and ref is not None:
                    data = {k: v for k, v in ref.data.items()
                            if k not in ("summary_activity_id", "summary")}  # fmt: skip
                    external_refs.link(SYSTEM, person_id, tenant=tenant, obj=partner, data=data)
                push_summary(client, partner, person_id, comment, maybe_done=True, drifted=True)
                run.repaired += 1
            run.done += 1
    active = set(Partner.objects.filter(is_active=True).values_list("pk", flat=True))
    for partner_pk, person in marked.items():
        if partner_pk in active:
            continue
        owner = Partner.objects.filter(pk=partner_pk).first()
        if owner is not None and owner.tenant_id != tenant.pk:
            continue  # another tenant's partner on a shared Krayin: its own run decides
        client.delete_person(int(str(person["id"])))
        run.repaired += 1


def _reconcile_history(client: KrayinClient, run: SyncRun, tenant: Tenant, kind: RecordKind,
                       activities: dict[int, JsonObject]) -> None:
    rows = list(history_queryset(kind, run.history_since).filter(partner__tenant=tenant)
                .select_related("partner__tenant"))  # fmt: skip
    run.total += len(rows)
    for row in rows:
        partner = row.partner
        person_id = person_id_of(partner)
        ref = external_refs.find_ref(SYSTEM, tenant=tenant, obj=row)
        linked = int(ref.external_id) if ref is not None and ref.external_id else None
        if person_id is not None and (linked is None or linked not in activities):
            push_note(client, person_id=person_id, tenant_id=tenant.pk, obj=row,
                      note=history_note(kind, row), maybe_done=True, gone=True)  # fmt: skip
            run.repaired += 1
        run.done += 1


def reconcile(client: KrayinClient, tenant: Tenant) -> SyncRun:
    with reconcile_run(client, BACKEND, tenant) as run:
        activities = {int(str(a["id"])): a for a in client.all_activities()}
        reconcile_phases(
            run, lambda: _reconcile_people(client, run, tenant, activities),
            lambda kind: _reconcile_history(client, run, tenant, kind, activities),
        )  # fmt: skip
    return run


__all__ = ("reconcile",)
