"""Pure mapping from ERP rows to Twenty inputs (no I/O, no database writes).

KGC is master and Twenty a read-only view, so only what a salesperson needs leaves the
ERP: name, contact data, tenant, payment status and the history aggregates. The tax
number and any other financial detail never do (there is deliberately no code path that
reads `Partner.tax_number` here). Money is HUF `amountMicros` (amount x 1,000,000).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import phonenumbers

from apps.crm_plugin.aggregates import Aggregates, payment_status
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

CURRENCY = "HUF"
PARTNER_ID_PREFIX = "KGC-"
# Honorifics written before a Hungarian name; they stay with the family name.
_PREFIXES = frozenset({"dr.", "dr", "ifj.", "id.", "özv.", "prof.", "br."})


def kgc_partner_id(partner_pk: int | str) -> str:
    """Our unique key on the person (upsert key): KGC-000042."""
    return f"{PARTNER_ID_PREFIX}{int(partner_pk):06d}"


def partner_pk_from_kgc_id(value: str | None) -> int | None:
    if not value or not value.startswith(PARTNER_ID_PREFIX):
        return None
    digits = value[len(PARTNER_ID_PREFIX) :]
    return int(digits) if digits.isdigit() else None


def money(amount: Decimal | int | None) -> dict[str, Any]:
    micros = None if amount is None else int(Decimal(amount) * 1_000_000)
    return {"amountMicros": micros, "currencyCode": CURRENCY}


def split_hungarian_name(full_name: str) -> tuple[str, str]:
    """(firstName, lastName) of a Hungarian name, family name first.

    "Kovács János" -> ("János", "Kovács"); "dr. Kovács János" -> ("János", "dr. Kovács");
    "Kovácsné Szabó Anna" -> ("Anna", "Kovácsné Szabó"); a single word is the last name.
    """
    words = full_name.split()
    prefix: list[str] = []
    while words and words[0].lower() in _PREFIXES:
        prefix.append(words.pop(0))
    if not words:
        return "", " ".join(prefix)
    family = [words.pop(0)]
    # Married form "Kovácsné Szabó Anna": the -né name and the maiden family name together.
    if family[0].lower().endswith("né") and len(words) >= 2:
        family.append(words.pop(0))
    return " ".join(words), " ".join(prefix + family)


def person_name(partner: Partner) -> dict[str, str]:
    """A business is one record named after the firm (never split into first/last)."""
    if partner.is_business:
        return {"firstName": "", "lastName": (partner.company or partner.name).strip()}
    first, last = split_hungarian_name(partner.name)
    return {"firstName": first, "lastName": last}


def person_phones(e164: str) -> dict[str, Any]:
    if not e164:
        return {"primaryPhoneNumber": "", "primaryPhoneCountryCode": "",
                "primaryPhoneCallingCode": ""}  # fmt: skip
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:  # rows written around Partner.save()
        return {"primaryPhoneNumber": e164, "primaryPhoneCountryCode": "",
                "primaryPhoneCallingCode": ""}  # fmt: skip
    return {
        "primaryPhoneNumber": phonenumbers.national_significant_number(parsed),
        "primaryPhoneCountryCode": phonenumbers.region_code_for_number(parsed) or "",
        "primaryPhoneCallingCode": f"+{parsed.country_code}",
    }


def person_emails(email: str, *, shared: bool) -> dict[str, Any]:
    """Twenty's primaryEmail is unique (and an upsert key!); the ERP's e-mail is not.

    An address another partner also has goes into additionalEmails: as primaryEmail it
    would be refused as a duplicate, or worse, make the upsert take over the other
    partner's person. An empty string is outside Twenty's unique index.
    """
    email = (email or "").strip().lower()
    if shared and email:
        return {"primaryEmail": "", "additionalEmails": [email]}
    return {"primaryEmail": email, "additionalEmails": []}


def person_input(
    partner: Partner, aggregates: Aggregates, *, email_shared: bool = False
) -> dict[str, Any]:
    """PersonCreateInput for `createPeople(upsert: true)`, keyed on kgcPartnerId."""
    return {
        "kgcPartnerId": kgc_partner_id(partner.pk),
        "kgcTenant": partner.tenant.slug,
        "name": person_name(partner),
        "emails": person_emails(partner.email, shared=email_shared),
        "phones": person_phones(partner.phone),
        "isBusiness": partner.is_business,
        "paymentStatus": payment_status(partner, aggregates),
        "totalRentals": aggregates.total_rentals,
        "totalRevenue": money(aggregates.total_revenue),
        "lastRentalDate": _date(aggregates.last_rental_date),
        "lastServiceDate": _date(aggregates.last_service_date),
    }


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _datetime(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _person_link(partner_pk: int) -> dict[str, Any]:
    # Connect through our own unique key: no lookup of Twenty's person id needed.
    return {"connect": {"where": {"kgcPartnerId": kgc_partner_id(partner_pk)}}}


def rental_record_input(rental: Rental) -> dict[str, Any]:
    end = rental.returned_at.date() if rental.returned_at else rental.end_date
    return {
        "name": rental.number,
        "kgcRentalId": rental.number,
        "machineName": rental.machine.name,
        "rentalStart": _date(rental.start_date),
        "rentalEnd": _date(end),
        "totalDays": max(1, (end - rental.start_date).days),
        "totalCost": money(rental.total_cost),
        "status": str(rental.status).upper(),
        "person": _person_link(rental.partner_id),
    }


_DONE_WORKLOG = frozenset({Worklog.Status.DONE, Worklog.Status.HANDED_OVER})


def service_record_input(worklog: Worklog) -> dict[str, Any]:
    return {
        "name": worklog.number,
        "kgcWorklogId": worklog.number,
        "machineType": worklog.machine_type,
        "issueDescription": worklog.issue_description,
        "repairCost": money(worklog.repair_cost),
        "status": "COMPLETED" if worklog.status in _DONE_WORKLOG else "IN_PROGRESS",
        "completedAt": _datetime(worklog.completed_at),
        "person": _person_link(worklog.partner_id),
    }


def sales_record_input(order: Order, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """`lines`: [{"sku", "name", "quantity", "unitPrice"}] (see history.order_lines)."""
    return {
        "name": order.number,
        "kgcOrderId": order.number,
        "items": lines,
        "totalAmount": money(order.total_amount),
        "orderDate": _date(order.order_date),
        "deliveredAt": _datetime(order.delivered_at),
        "status": "DELIVERED" if order.status == Order.Status.DELIVERED else "PENDING",
        "person": _person_link(order.partner_id),
    }


__all__ = (
    "Aggregates",
    "kgc_partner_id",
    "money",
    "partner_pk_from_kgc_id",
    "person_input",
    "person_name",
    "rental_record_input",
    "sales_record_input",
    "service_record_input",
    "split_hungarian_name",
)
