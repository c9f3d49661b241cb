"""Nightly reconciliation: compare the ERP with Twenty and repair the drift.

Twenty is a read-only view, so the ERP always wins: a person or record that is missing,
trashed or edited by hand is upserted again from the ERP (an upsert also restores a
trashed row); a live person whose partner is no longer active is trashed. Compared by
kgcPartnerId / kgc*Id, reading Twenty in pages of 60 and writing in batches of 60.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db.models import Model
from django.utils import timezone

from kgc_erp.partners.models import Partner

from ..models import SyncRun
from .aggregates import compute_aggregates
from .client import BATCH_SIZE, TwentyClient
from .history import history_queryset, history_since, push_records, record_input
from .kinds import SPECS, RecordKind
from .mappers import partner_pk_from_kgc_id, person_input
from .people import WITH_DELETED, push_partners, shared_emails

log = logging.getLogger("crm_plugin.twenty.reconcile")
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


def _reconcile_people(client: TwentyClient, run: SyncRun) -> None:
    remote = {
        p["kgcPartnerId"]: p for p in client.iter_people(WITH_DELETED) if p.get("kgcPartnerId")
    }
    partners = list(Partner.objects.filter(is_active=True).select_related("tenant").order_by("pk"))
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
    for kgc_id, person in remote.items():
        if person.get("deletedAt") or partner_pk_from_kgc_id(kgc_id) is None:
            continue
        client.delete_person(person["id"])
        run.repaired += 1


def _reconcile_records(client: TwentyClient, run: SyncRun, kind: RecordKind) -> None:
    spec = SPECS[kind]
    remote = {
        r[spec.key_field]: r
        for r in client.iter_records(kind, WITH_DELETED)
        if r.get(spec.key_field)
    }
    rows = list(history_queryset(kind, run.history_since))
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


def reconcile(client: TwentyClient) -> SyncRun:
    run = SyncRun.objects.create(kind=SyncRun.Kind.RECONCILE, history_since=history_since())
    calls_before = client.calls
    try:
        _reconcile_people(client, run)
        for kind in RecordKind:
            run.phase = kind.value
            _reconcile_records(client, run, kind)
        run.phase = SyncRun.Phase.DONE
        run.status = SyncRun.Status.SUCCEEDED
    except Exception as exc:
        run.status = SyncRun.Status.FAILED
        run.error = str(exc)[:2000]
        raise
    finally:
        run.calls = client.calls - calls_before
        run.finished_at = timezone.now()
        run.save()
    log.info("reconciliation #%s: %d checked, %d repaired", run.pk, run.done, run.repaired)
    return run


__all__ = ("reconcile",)
