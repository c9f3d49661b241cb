"""Nightly reconciliation: compare the ERP with Twenty and repair the drift.

Twenty is a read-only view, so the ERP always wins: a person or record that is missing,
trashed or edited by hand is upserted again from the ERP (an upsert also restores a
trashed row); a live person whose partner is no longer active is trashed. Compared by
kgcPartnerId / kgc*Id, reading Twenty in pages of 60 and writing in batches of 60.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from kgc_erp.partners.models import Partner

from ..aggregates import compute_aggregates
from ..backends import TWENTY
from ..batch_sync import reconcile_phases, reconcile_run
from ..models import SyncRun
from .client import BATCH_SIZE, TwentyClient
from .history import history_queryset, push_records, record_input
from .kinds import SPECS, RecordKind
from .mappers import partner_pk_from_kgc_id, person_input
from .people import WITH_DELETED, push_partners, shared_emails

_T = TypeVar("_T")

# Inputs that are written, not read back as such (relation connect, raw JSON list).
_NOT_COMPARED = frozenset({"person", "items"})


def _differs(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    """True when a field we write reads back differently (composite fields per sub-field)."""
    for key, value in expected.items():
        if key in _NOT_COMPARED:
            continue
        current = actual.get(key)
        if isinstance(value, dict):
            current = current or {}
            for sub, sub_value in value.items():
                if sub == "additionalEmails":
                    continue
                if _normal(sub_value) != _normal(current.get(sub)):
                    return True
        elif _normal(value) != _normal(current):
            return True
    return False


def _normal(value: object) -> object:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        return value[:19]  # DATE_TIME: compare to the second, ignore the zone spelling
    return value


def _batches(items: list[_T]) -> Iterable[list[_T]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _in_scope(qs: QuerySet, tenant_ids: Collection[int] | None, field: str) -> QuerySet:
    return qs if tenant_ids is None else qs.filter(**{f"{field}__in": list(tenant_ids)})


def _reconcile_people(client: TwentyClient, run: SyncRun,
                      tenant_ids: Collection[int] | None) -> None:
    remote = {
        p["kgcPartnerId"]: p for p in client.iter_people(WITH_DELETED) if p.get("kgcPartnerId")
    }
    active = Partner.objects.filter(is_active=True).select_related("tenant").order_by("pk")
    partners = list(_in_scope(active, tenant_ids, "tenant_id"))
    run.total += len(partners)
    stale: list[Partner] = []
    for chunk in _batches(partners):
        aggregates = compute_aggregates(p.pk for p in chunk)
        shared = shared_emails(chunk)
        for partner in chunk:
            expected = person_input(
                partner, aggregates[partner.pk], email_shared=partner.email in shared
            )
            actual = remote.pop(expected["kgcPartnerId"], None)
            if actual is None or actual.get("deletedAt") or _differs(expected, actual):
                stale.append(partner)
        run.done += len(chunk)
    for chunk in _batches(stale):
        push_partners(client, chunk)
        run.repaired += len(chunk)
    # What is left in Twenty has no active partner behind it: trash it (erasure destroys
    # through partner.deleted; this only catches what the pipeline missed).
    # Active partners of tenants outside the scope (their CRM is off, or on Krayin) are
    # left alone: this run does not decide about them.
    active_pks = set(active.values_list("pk", flat=True)) if tenant_ids is not None else set()
    for kgc_id, person in remote.items():
        partner_pk = partner_pk_from_kgc_id(kgc_id)
        if person.get("deletedAt") or partner_pk is None or partner_pk in active_pks:
            continue
        client.delete_person(person["id"])
        run.repaired += 1


def _reconcile_records(client: TwentyClient, run: SyncRun, kind: RecordKind,
                       tenant_ids: Collection[int] | None) -> None:
    spec = SPECS[kind]
    remote = {
        r[spec.key_field]: r
        for r in client.iter_records(kind, WITH_DELETED)
        if r.get(spec.key_field)
    }
    rows = list(_in_scope(history_queryset(kind, run.history_since), tenant_ids,
                          "partner__tenant_id"))
    run.total += len(rows)
    stale: list[Model] = []
    for row in rows:
        expected = record_input(kind, row)
        actual = remote.get(expected[spec.key_field])
        if actual is None or actual.get("deletedAt") or _differs(expected, actual):
            stale.append(row)
        run.done += 1
    for chunk in _batches(stale):
        push_records(client, kind, chunk)
        run.repaired += len(chunk)


def reconcile(client: TwentyClient, tenant_ids: Collection[int] | None = None) -> SyncRun:
    """Reconcile the partners of `tenant_ids` (None: every tenant) with the workspace."""
    with reconcile_run(client, TWENTY) as run:
        reconcile_phases(run, lambda: _reconcile_people(client, run, tenant_ids),
                         lambda kind: _reconcile_records(client, run, kind, tenant_ids))
    return run


__all__ = ("reconcile",)
