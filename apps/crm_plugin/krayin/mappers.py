"""Pure mapping from ERP rows to Krayin payloads (no I/O); never the tax number.

Where our data goes in Krayin (a person has only name, e-mails, phones, job title,
organization and owner; the REST API cannot write custom attributes):

- **Our id** is a second e-mail of the person, `kgc-000042@partner.kgc.invalid` (label
  `kgc`): searchable through `persons/search` like any e-mail, unique per partner, and on
  the reserved `.invalid` TLD (RFC 2606) so no mail can ever be sent to it. It is also the
  only e-mail of a partner without one (Krayin requires an e-mail).
- **Phone**: Krayin answers 500 without at least one contact number (NOTES.md §4.1), so a
  partner without a phone (or whose phone another person already has) gets our id
  `KGC-000042` as its number, label `kgc`.
- **Aggregates** (rentals, spend, tier, payment status, last dates) are one pinned note
  per person, "KGC ügyféladatok", whose comment is structured `key: value` lines,
  updated in place (`PUT /activities/{id}` has no validation) whenever they change.
- **History** (rentals, worklogs, orders, Chatwoot conversations) are note activities on
  the person's timeline, one per source object; the title starts with `[<key>]` so a
  retry can find what a lost response created.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from apps.crm_plugin.aggregates import Aggregates, payment_status, tier_for
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

JsonObject = dict[str, object]

MARKER_DOMAIN = "partner.kgc.invalid"
MARKER_LABEL = "kgc"
SUMMARY_TITLE = "KGC ügyféladatok"
PAYMENT_STATUS_HU = {"GOOD": "rendben", "LATE": "késedelmes", "BLOCKED": "letiltva"}


def kgc_id(partner_pk: int | str) -> str:
    return f"KGC-{int(partner_pk):06d}"


def marker_email(partner_pk: int | str) -> str:
    return f"{kgc_id(partner_pk).lower()}@{MARKER_DOMAIN}"


def partner_pk_from_marker(value: str) -> int | None:
    local, _, domain = value.lower().partition("@")
    if domain != MARKER_DOMAIN or not local.startswith("kgc-"):
        return None
    digits = local[4:]
    return int(digits) if digits.isdigit() else None


def person_name(partner: Partner) -> str:
    if partner.is_business:
        return (partner.company or partner.name).strip()
    return partner.name.strip()


def person_emails(partner: Partner, *, with_own_email: bool = True) -> list[JsonObject]:
    emails: list[JsonObject] = []
    own = (partner.email or "").strip().lower()
    if own and with_own_email:
        emails.append({"value": own, "label": "work"})
    emails.append({"value": marker_email(partner.pk), "label": MARKER_LABEL})
    return emails


def person_numbers(partner: Partner, *, with_own_phone: bool = True) -> list[JsonObject]:
    if partner.phone and with_own_phone:
        return [{"value": partner.phone, "label": "work"}]
    return [{"value": kgc_id(partner.pk), "label": MARKER_LABEL}]


def person_payload(partner: Partner, *, user_id: int | None, organization_id: int | None,
                   with_own_email: bool = True, with_own_phone: bool = True) -> JsonObject:
    """Every key Krayin needs on create and update: `contact_numbers` always (500 without),
    `user_id` always (a PUT without it clears the sales owner)."""
    return {
        "name": person_name(partner),
        "emails": person_emails(partner, with_own_email=with_own_email),
        "contact_numbers": person_numbers(partner, with_own_phone=with_own_phone),
        "organization_id": organization_id,
        "user_id": user_id,
    }


def _huf(amount: Decimal | int | None) -> str:
    value = int(Decimal(amount or 0))
    return f"{value:,}".replace(",", " ") + " Ft"


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "-"


def summary_comment(partner: Partner, aggregates: Aggregates) -> str:
    status = payment_status(partner, aggregates)
    lines = [
        f"Partnerazonosító: {kgc_id(partner.pk)}",
        f"Telephely: {partner.tenant.slug}",
        f"Ügyféltípus: {'céges' if partner.is_business else 'magánszemély'}",
        f"Fizetési státusz: {PAYMENT_STATUS_HU.get(status, status.lower())}",
        f"Bérlések száma: {aggregates.total_rentals}",
        f"Összes költés: {_huf(aggregates.total_revenue)}",
        f"Ügyfélszint: {tier_for(aggregates.total_revenue)}",
        f"Utolsó bérlés: {_day(aggregates.last_rental_date)}",
        f"Utolsó szerviz: {_day(aggregates.last_service_date)}",
    ]
    return "\n".join(lines)


def summary_activity(person_id: int, comment: str) -> JsonObject:
    return {"type": "note", "title": SUMMARY_TITLE, "comment": comment, "person_id": person_id}


def keyed_title(key: str, text: str) -> str:
    return f"[{key}] {text}"


def title_key(title: object) -> str | None:
    if isinstance(title, str) and title.startswith("[") and "]" in title:
        return title[1 : title.index("]")]
    return None


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def rental_note(rental: Rental) -> tuple[str, str, str]:
    """(key, title, comment) of a completed rental."""
    key = rental.number
    comment = "\n".join([
        f"Gép: {rental.machine.name}",
        f"Időszak: {rental.start_date.isoformat()} – {rental.end_date.isoformat()}",
        f"Visszahozva: {_local(rental.returned_at)}",
        f"Díj: {_huf(rental.total_cost)}",
    ])  # fmt: skip
    return key, keyed_title(key, f"Bérlés: {rental.machine.name}"), comment


def worklog_note(worklog: Worklog) -> tuple[str, str, str]:
    key = worklog.number
    comment = "\n".join([
        f"Géptípus: {worklog.machine_type}",
        f"Hiba: {worklog.issue_description}",
        f"Elkészült: {_local(worklog.completed_at)}",
        f"Javítási díj: {_huf(worklog.repair_cost)}",
    ])  # fmt: skip
    return key, keyed_title(key, f"Szerviz: {worklog.machine_type}"), comment


def order_note(order: Order) -> tuple[str, str, str]:
    key = order.number
    lines = [f"{line.quantity} × {line.product.name}" for line in order.lines.all()]
    comment = "\n".join([*lines, f"Átadva: {_local(order.delivered_at)}",
                         f"Összesen: {_huf(order.total_amount)}"])  # fmt: skip
    return key, keyed_title(key, "Vásárlás"), comment


def conversation_note(conversation_id: str, worklog_number: str | None,
                      display_number: str | None = None) -> tuple[str, str, str]:
    """`conversation_id` keys the note (unique across accounts: "<account>:<display id>");
    staff read the conversation's own number."""
    key = f"CW-{conversation_id}"
    comment = f"Chatwoot beszélgetés #{display_number or conversation_id}"
    if worklog_number:
        comment += f"; munkalap: {worklog_number}"
    return key, keyed_title(key, "Chatwoot beszélgetés"), comment


def resolution_note(conversation_id: str, occurrence: int,
                    display_number: str | None = None) -> tuple[str, str, str]:
    """One note per resolution of a conversation (`occurrence`: the event's id, so a
    conversation reopened and resolved again gets a second one, a replay none)."""
    key = f"CW-{conversation_id}-R{occurrence}"
    comment = f"Chatwoot beszélgetés #{display_number or conversation_id} lezárva"
    return key, keyed_title(key, "Chatwoot beszélgetés lezárva"), comment


def note_activity(person_id: int, title: str, comment: str) -> JsonObject:
    return {"type": "note", "title": title, "comment": comment, "person_id": person_id}


def lead_payload(*, title: str, description: str, person_id: int, user_id: int | None,
                 stage_id: int, source_id: int, type_id: int) -> JsonObject:
    """`lead_pipeline_stage_id` always present (500 without); `lead_value` a 4-decimal
    string; `expected_close_date` left out (an unknown date would be refused)."""
    return {
        "title": title,
        "description": description,
        "lead_value": "0.0000",
        "lead_source_id": source_id,
        "lead_type_id": type_id,
        "user_id": user_id,
        "lead_pipeline_stage_id": stage_id,
        "person": {"id": person_id},
    }


__all__ = (
    "MARKER_DOMAIN", "SUMMARY_TITLE", "conversation_note", "keyed_title", "kgc_id",
    "lead_payload", "marker_email", "note_activity", "order_note", "partner_pk_from_marker",
    "person_emails", "person_name", "person_numbers", "person_payload", "rental_note",
    "summary_activity", "summary_comment", "title_key", "worklog_note",
)
