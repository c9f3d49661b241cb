"""Use case: partners and their history into Krayin (deliveries, initial sync, reconcile).

A partner is its person plus the aggregates note; a history row is a note on the person's
timeline. Aggregates are recomputed from the ERP on every push (never incremented), so
retried and replayed events converge on the same state.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Model

from apps.crm_plugin.aggregates import compute_aggregates
from apps.crm_plugin.erp_history import RecordKind
from apps.plugin_manager.eventbus import external_refs
from apps.plugin_manager.privacy.models import Tombstone
from apps.plugin_manager.privacy.tombstones import refused, tombstone_checker
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from . import mappers
from .activities import push_note, push_summary
from .client import KrayinClient
from .config import SYSTEM
from .partner_lock import partner_lock
from .persons import PersonIndex, sync_person


def withheld_values(partners: Sequence[Partner]) -> dict[int, frozenset[str]]:
    """Per partner, the values erased on a data-subject request in its tenant (privacy
    tombstones): a partner row that still holds one (recorded again without the staff
    confirmation that lifts the tombstone, or a family member sharing the number) is
    written to Krayin without it. One query per kind for the whole batch."""
    tenants = {p.tenant_id for p in partners}
    phone = tombstone_checker(Tombstone.Kind.PHONE, tenants)
    email = tombstone_checker(Tombstone.Kind.EMAIL, tenants)
    withheld: dict[int, frozenset[str]] = {}
    for partner in partners:
        values = frozenset(
            ({"phone"} if partner.phone and phone(partner.tenant_id, partner.phone) else set())
            | ({"email"} if partner.email and email(partner.tenant_id, partner.email)
               else set()))
        if values:
            refused("krayin.partner_sync", partner.tenant_id,
                    f"partner {partner.pk} without {'/'.join(sorted(values))}")
        withheld[partner.pk] = values
    return withheld


def push_partners(client: KrayinClient, partners: Sequence[Partner], *, maybe_done: bool,
                  index: PersonIndex | None = None) -> dict[int, int]:
    """Persons and aggregates notes of these partners; partner pk -> person id. Inactive
    partners (erased or deactivated) are never written: they are left out of the result."""
    partners = [p for p in partners if p.is_active]
    # A batch (initial sync) computes them in four queries; a single delivery recomputes
    # under the lock, so the writer that goes last also writes the newest totals.
    batch = compute_aggregates(p.pk for p in partners) if len(partners) > 1 else {}
    withheld = withheld_values(partners)
    person_ids: dict[int, int] = {}
    for partner in partners:
        with partner_lock(partner.pk):
            aggregates = batch.get(partner.pk) or compute_aggregates([partner.pk])[partner.pk]
            person = sync_person(client, partner, index, withheld[partner.pk])
            person_id = int(str(person["id"]))
            comment = mappers.summary_comment(partner, aggregates)
            push_summary(client, partner, person_id, comment, maybe_done=maybe_done)
        person_ids[partner.pk] = person_id
    return person_ids


def person_id_of(partner: Partner) -> int | None:
    ref = external_refs.find_ref(SYSTEM, tenant=partner.tenant_id, obj=partner)
    if ref is None or not ref.external_id or ref.sync_status == "deleted":
        return None
    return int(ref.external_id)


def history_note(kind: RecordKind, row: Model) -> tuple[str, str, str]:
    if kind is RecordKind.RENTAL:
        assert isinstance(row, Rental)
        return mappers.rental_note(row)
    if kind is RecordKind.SERVICE:
        assert isinstance(row, Worklog)
        return mappers.worklog_note(row)
    assert isinstance(row, Order)
    return mappers.order_note(row)


def push_history(client: KrayinClient, kind: RecordKind, rows: Sequence[Model], *,
                 maybe_done: bool) -> int:
    """Notes of finished history rows whose partner already has a person; the count."""
    written = 0
    for row in rows:
        partner = row.partner  # type: ignore[attr-defined]
        assert isinstance(partner, Partner)
        if not partner.is_active:
            continue  # erased or deactivated: nothing of theirs goes to Krayin
        person_id = person_id_of(partner)
        if person_id is None:
            person_id = push_partners(client, [partner], maybe_done=maybe_done)[partner.pk]
        # Under the partner's lock: a delivery of this row and the initial sync that a
        # backend switch started may push it at the same moment (one note, not two).
        with partner_lock(partner.pk):
            push_note(client, person_id=person_id, tenant_id=partner.tenant_id, obj=row,
                      note=history_note(kind, row), maybe_done=maybe_done)  # fmt: skip
        written += 1
    return written


__all__ = ("history_note", "person_id_of", "push_history", "push_partners", "withheld_values")
