"""The two hottest lookups (customer by phone, worklog by number) as hand-written SQL.

They are the bot's most frequent calls. Built with the ORM, the by-phone statement (two
correlated COUNT subqueries) costs about 1.8 ms of CPU per request just to compile, ten
times what PostgreSQL needs to run it; as text it costs 0.15 ms (the worklog lookup: 0.9 ms
against 0.1 ms). They run on a plain cursor and return plain rows: a RawQuerySet's column
mapping and model instances cost more CPU than the statement itself. Table names come from
the models' metadata.

The privacy tombstone check is part of the by-phone statement (`NOT EXISTS` on the
tombstone index), not a second query: an erased person's number finds nobody, whoever
holds it now, exactly as `tombstones.is_tombstoned` answers it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection

from apps.plugin_manager.privacy.models import Tombstone
from apps.plugin_manager.privacy.tombstones import digest_of_normalised
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.service.models import Worklog

_CUSTOMER_BY_PHONE = f"""
SELECT p.id, p.name, p.phone, p.email, p.company, p.is_business, p.payment_status,
       (SELECT count(*) FROM {Rental._meta.db_table} r
         WHERE r.partner_id = p.id AND r.status IN (%s, %s)) AS active_rentals,
       (SELECT count(*) FROM {Worklog._meta.db_table} w
         WHERE w.partner_id = p.id AND w.status <> %s) AS pending_repairs
  FROM {Partner._meta.db_table} p
 WHERE p.tenant_id = %s AND p.phone = %s AND p.is_active
   AND NOT EXISTS (SELECT 1 FROM {Tombstone._meta.db_table} t
                    WHERE t.tenant_id = p.tenant_id AND t.kind = %s AND t.digest = %s
                      AND t.lifted_at IS NULL)
 ORDER BY p.updated_at DESC, p.id DESC
 LIMIT 1
"""


class CustomerRow(NamedTuple):
    id: int
    name: str
    phone: str
    email: str
    company: str
    is_business: bool
    payment_status: str
    active_rentals: int
    pending_repairs: int


def customer_statement(tenant_id: int, e164: str) -> tuple[str, list[str | int]]:
    """SQL and parameters of the by-phone lookup (the benchmarks time it bare). `e164`
    comes from normalize_phone, so it is already the tombstone's normalised form."""
    return _CUSTOMER_BY_PHONE, [
        Rental.Status.ACTIVE, Rental.Status.LATE, Worklog.Status.HANDED_OVER, tenant_id, e164,
        Tombstone.Kind.PHONE.value, digest_of_normalised(Tombstone.Kind.PHONE, e164),
    ]


def customer_lookup(tenant_id: int, e164: str) -> CustomerRow | None:
    """The tenant's active customer with this phone (newest first if there are several),
    with `active_rentals` (active or late) and `pending_repairs` (not handed over); None
    when there is none or the number belongs to an erased person (active tombstone)."""
    sql, params = customer_statement(tenant_id, e164)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return CustomerRow(*row) if row is not None else None


_WORKLOG_BY_NUMBER = f"""
SELECT number, partner_id, machine_type, status, estimated_completion, quote_amount,
       quote_accepted, technician_notes, completed_at
  FROM {Worklog._meta.db_table}
 WHERE tenant_id = %s AND number = %s
"""


class WorklogRow(NamedTuple):
    number: str
    partner_id: int
    machine_type: str
    status: str
    estimated_completion: date | None
    quote_amount: Decimal | None
    quote_accepted: bool | None
    technician_notes: str
    completed_at: datetime | None

    @property
    def can_pickup(self) -> bool:
        return self.status == Worklog.Status.DONE  # as Worklog.can_pickup


def worklog_statement(tenant_id: int, number: str) -> tuple[str, list[str | int]]:
    return _WORKLOG_BY_NUMBER, [tenant_id, number]


def worklog_lookup(tenant_id: int, number: str) -> WorklogRow | None:
    """The tenant's worklog with this number: only the columns the status answer needs
    (the issue description and the costs stay home)."""
    sql, params = worklog_statement(tenant_id, number)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return WorklogRow(*row) if row is not None else None
