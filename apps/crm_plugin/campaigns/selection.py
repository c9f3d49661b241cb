"""Who each campaign reaches on a given day: one SQL query per campaign.

Every query returns the partners the business rule picks, consent or not, with what the
skip counts need (`email`, `marketing_consent`), the occasion key and the template data:
(partner_id, tenant_id, email, marketing_consent, occasion_key, context,
already_sent). Consent and the
"already sent" check are applied afterwards (`queueing.py`) so that a run can tell how
many it skipped and why. Erased or deactivated partners are never selected.
"""

from __future__ import annotations

import calendar
import gc
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from .models import Campaign, CampaignKind

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

WIN_BACK_AFTER_MONTHS = 6
UPSELL_WINDOW_DAYS = 30
UPSELL_MIN_RENTALS = 3  # "more than 3"
VIP_CLOSED_RENTALS = 10
# How far back a weekly run looks for a 10th closed rental (a missed week is caught up).
VIP_LOOKBACK_DAYS = 14
REPAIR_READY_LOOKBACK_DAYS = 7
SELECTION_WORK_MEM = "64MB"


@dataclass(slots=True)
class Candidate:
    partner_id: int
    tenant_id: int
    email: str
    marketing_consent: bool
    occasion_key: str
    context: dict[str, object]
    # Had this campaign recently under another occasion key (win-back's six months).
    already_sent: bool = False


def rental_occasion_key(rental_id: int, due_date: date) -> str:
    """The expiry reminder's key, shared by the event path and the daily selection."""
    return f"rental:{rental_id}:{due_date.isoformat()}"


def worklog_occasion_key(worklog_id: int) -> str:
    return f"worklog:{worklog_id}"


_PARTNER = "p.id, p.tenant_id, p.email, p.marketing_consent"

_EXPIRY_REMINDER = f"""
SELECT {_PARTNER}, 'rental:' || r.id || ':' || r.end_date::text,
       json_build_object('rental_id', r.id), false
  FROM rentals_rental r
  JOIN partners_partner p ON p.id = r.partner_id
 WHERE r.status = 'active' AND r.end_date = %(tomorrow)s
   AND p.is_active AND p.tenant_id = ANY(%(tenants)s)
"""

_REPAIR_READY = f"""
SELECT {_PARTNER}, 'worklog:' || w.id, json_build_object('worklog_id', w.id), false
  FROM service_worklog w
  JOIN partners_partner p ON p.id = w.partner_id
 WHERE w.status = 'kesz' AND w.completed_at >= %(since)s
   AND p.is_active AND p.tenant_id = ANY(%(tenants)s)
   {{no_conversation}}
"""

# Partners who already talk to us in Chatwoot get the news there (support plugin).
_NO_CONVERSATION = """
   AND NOT EXISTS (SELECT 1 FROM {table} cl JOIN service_worklog w2 ON w2.id = cl.worklog_id
                    WHERE w2.partner_id = p.id)
"""

_UPSELL = f"""
SELECT DISTINCT ON (p.id) {_PARTNER},
       'upsell:' || f.type || ':' || to_char(%(today)s::date, 'YYYY-MM'),
       json_build_object('category', f.type, 'rental_count', f.n), false
  FROM (SELECT r.partner_id, m.type, count(*) AS n
          FROM rentals_rental r JOIN rentals_machine m ON m.id = r.machine_id
         WHERE r.start_date > %(window_start)s AND r.start_date <= %(today)s
         GROUP BY r.partner_id, m.type
        HAVING count(*) > %(min_rentals)s) f
  JOIN partners_partner p ON p.id = f.partner_id
 WHERE p.is_active AND p.tenant_id = ANY(%(tenants)s)
 ORDER BY p.id, f.n DESC, f.type
"""

# At most once per six months: a win-back e-mail to the partner since the cutoff counts
# as already sent (the flag column, so the run can count it).
_WIN_BACK = f"""
SELECT {_PARTNER}, %(occasion_key)s, l.last_start::text,
       EXISTS (SELECT 1 FROM crm_campaigns_campaignsend s
                WHERE s.partner_id = p.id AND s.campaign_id = %(campaign_id)s
                  AND s.created_at >= %(cutoff_ts)s)
  FROM (SELECT r.partner_id, max(r.start_date) AS last_start,
               bool_or(r.status <> 'completed') AS has_open
          FROM rentals_rental r GROUP BY r.partner_id) l
  JOIN partners_partner p ON p.id = l.partner_id
 WHERE l.last_start < %(cutoff)s AND NOT l.has_open
   AND p.is_active AND p.tenant_id = ANY(%(tenants)s)
"""

_NEW_MACHINES = f"""
WITH fresh AS (
    SELECT m.tenant_id, m.type, max(m.id) AS last_id, array_agg(m.id ORDER BY m.id) AS ids
      FROM rentals_machine m WHERE m.id > %(after_id)s
     GROUP BY m.tenant_id, m.type
), renters AS (
    SELECT DISTINCT r.partner_id, m.type
      FROM rentals_rental r JOIN rentals_machine m ON m.id = r.machine_id
     WHERE m.type IN (SELECT type FROM fresh) AND m.id <= %(after_id)s
)
SELECT {_PARTNER}, 'new_machines:' || f.type || ':' || f.last_id,
       json_build_object('category', f.type, 'machine_ids', f.ids), false
  FROM renters x
  JOIN partners_partner p ON p.id = x.partner_id
  JOIN fresh f ON f.type = x.type AND f.tenant_id = p.tenant_id
 WHERE p.is_active AND p.tenant_id = ANY(%(tenants)s)
"""

# The 10th closed rental, returned within the look-back: only partners with a rental
# returned lately are counted, so the query stays small whatever the history.
_VIP_WELCOME = f"""
SELECT {_PARTNER}, 'vip', json_build_object('closed_count', %(closed)s), false
  FROM (SELECT DISTINCT r.partner_id FROM rentals_rental r
         WHERE r.status = 'completed' AND r.returned_at >= %(since)s) recent
  JOIN partners_partner p ON p.id = recent.partner_id
  JOIN LATERAL (SELECT r.returned_at FROM rentals_rental r
                 WHERE r.partner_id = p.id AND r.status = 'completed'
                 ORDER BY r.returned_at, r.id OFFSET %(closed)s - 1 LIMIT 1) tenth ON true
 WHERE tenth.returned_at >= %(since)s AND tenth.returned_at < %(until)s
   AND p.is_active AND p.tenant_id = ANY(%(tenants)s)
"""


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def conversation_link_table() -> str | None:
    """The support plugin's conversation table, when that plugin is installed at all."""
    if not apps.is_installed("apps.support_plugin"):
        return None
    try:
        model = apps.get_model("support_plugin", "ConversationLink")
    except LookupError:
        return None
    return model._meta.db_table


def selection_sql(campaign: Campaign, today: date,
                  tenant_ids: Sequence[int]) -> tuple[str, dict[str, _SQLType]]:
    """The campaign's query and its parameters (also what the benchmark counts)."""
    params: dict[str, _SQLType] = {"today": today, "tenants": list(tenant_ids)}
    kind = campaign.kind
    if kind == CampaignKind.EXPIRY_REMINDER:
        params["tomorrow"] = today + timedelta(days=1)
        return _EXPIRY_REMINDER, params
    if kind == CampaignKind.REPAIR_READY:
        params["since"] = _local_midnight(today - timedelta(days=REPAIR_READY_LOOKBACK_DAYS))
        table = conversation_link_table()
        clause = _NO_CONVERSATION.format(table=table) if table else ""
        return _REPAIR_READY.format(no_conversation=clause), params
    if kind == CampaignKind.UPSELL:
        params.update(window_start=today - timedelta(days=UPSELL_WINDOW_DAYS),
                      min_rentals=UPSELL_MIN_RENTALS)
        return _UPSELL, params
    if kind == CampaignKind.WIN_BACK:
        cutoff = months_before(today, WIN_BACK_AFTER_MONTHS)
        params.update(cutoff=cutoff, cutoff_ts=_local_midnight(cutoff),
                      campaign_id=campaign.pk, occasion_key=f"win_back:{today.isoformat()}")
        return _WIN_BACK, params
    if kind == CampaignKind.NEW_MACHINES:
        params["after_id"] = int(campaign.state.get("last_machine_id") or 0)
        return _NEW_MACHINES, params
    if kind == CampaignKind.VIP_WELCOME:
        params.update(closed=VIP_CLOSED_RENTALS,
                      since=_local_midnight(today - timedelta(days=VIP_LOOKBACK_DAYS)),
                      until=_local_midnight(today + timedelta(days=1)))
        return _VIP_WELCOME, params
    raise ValueError(f"unknown campaign kind {kind!r}")


def _context(value: object) -> dict[str, object]:
    # Win-back returns its one value as text: tens of thousands of rows at 100 000
    # partners, where building and parsing a JSON object per row would double the time.
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.startswith("{"):
        return dict(json.loads(value))
    return {"last_rental_date": value}


def select_candidates(campaign: Campaign, today: date,
                      tenant_ids: Sequence[int]) -> list[Candidate]:
    sql, params = selection_sql(campaign, today, tenant_ids)
    # Tens of thousands of small objects at once (rows, then candidates): the cyclic GC
    # would scan the growing lists again and again, and none of these objects forms a cycle.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Win-back groups every rental by partner: with the default 4 MB the hash
            # aggregate spills to disk at 100 000 partners.
            cursor.execute(f"SET LOCAL work_mem = '{SELECTION_WORK_MEM}'")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            Candidate(partner_id=row[0], tenant_id=row[1], email=row[2] or "",
                      marketing_consent=bool(row[3]), occasion_key=row[4],
                      context=_context(row[5]), already_sent=bool(row[6]))
            for row in rows
        ]
    finally:
        if gc_was_enabled:
            gc.enable()


__all__ = ("Candidate", "conversation_link_table", "months_before", "rental_occasion_key",
           "select_candidates",
           "selection_sql", "worklog_occasion_key")
