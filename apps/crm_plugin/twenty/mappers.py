"""Pure mapping from ERP rows to Twenty inputs (no I/O, no database writes).

KGC is master and Twenty a read-only view, so only what a salesperson needs leaves the
ERP: name, contact data, tenant, payment status and the history aggregates. The tax
number and any other financial detail never do (there is deliberately no code path that
reads `Partner.tax_number` here). Money is HUF `amountMicros` (amount x 1,000,000).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import phonenumbers

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

CURRENCY = "HUF"
PARTNER_ID_PREFIX = "KGC-"
# Companies carry no field of ours in Twenty's standard model; their id is derived from our
# partner id instead, so the upsert (which matches on id) finds the same company again.
COMPANY_ID_NAMESPACE = uuid.UUID("6f1c2a8e-4b3d-5c7e-9a10-2b3c4d5e6f70")
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


def money(amount: Decimal | int | None) -> dict[str, object]:
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


def company_id(partner_pk: int | str) -> str:
    """The Twenty company id of a business partner (a UUID v5 of our partner id)."""
    return str(uuid.uuid5(COMPANY_ID_NAMESPACE, kgc_partner_id(partner_pk)))


def company_name(partner: Partner) -> str:
    return (partner.company or partner.name).strip()


def company_input(partner: Partner) -> dict[str, object]:
    """CompanyCreateInput for a business partner (never its tax number)."""
    return {"id": company_id(partner.pk), "name": company_name(partner)}


def person_name(partner: Partner) -> dict[str, str]:
    """A private partner's name, family name first. A business partner's person is its
    contact person when a company name is given apart from it; otherwise the only name we
    have is the firm's, kept whole (never split into first/last)."""
    if partner.is_business and company_name(partner) == partner.name.strip():
        return {"firstName": "", "lastName": partner.name.strip()}
    first, last = split_hungarian_name(partner.name)
    return {"firstName": first, "lastName": last}


def person_phones(e164: str) -> dict[str, object]:
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


@dataclass(frozen=True)
class Aggregates:
    """A partner's history totals, always recomputed from the ERP (see aggregates.py)."""

    total_rentals: int = 0
    total_revenue: Decimal = Decimal(0)
    last_rental_date: dt.date | None = None
    last_service_date: dt.date | None = None
    has_late_rental: bool = False


def payment_status(partner: Partner, aggregates: Aggregates) -> str:
    """BLOCKED wins; an open late rental makes the partner LATE (rental.late)."""
    status = str(partner.payment_status).upper()
    if status == "BLOCKED":
        return status
    if aggregates.has_late_rental:
        return "LATE"
    return status


def person_emails(email: str, *, shared: bool) -> dict[str, object]:
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
) -> dict[str, object]:
    """PersonCreateInput for `createPeople(upsert: true)`, keyed on kgcPartnerId."""
    return {
        "kgcPartnerId": kgc_partner_id(partner.pk),
        "kgcTenant": partner.tenant.slug,
        "name": person_name(partner),
        "emails": person_emails(partner.email, shared=email_shared),
        "phones": person_phones(partner.phone),
        "isBusiness": partner.is_business,
        # The company row is upserted first (people.push_partners); private partners have
        # none, and a partner that stopped being a business loses the link.
        "companyId": company_id(partner.pk) if partner.is_business else None,
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


def _person_link(partner_pk: int) -> dict[str, object]:
    # Connect through our own unique key: no lookup of Twenty's person id needed.
    return {"connect": {"where": {"kgcPartnerId": kgc_partner_id(partner_pk)}}}


def rental_record_input(rental: Rental) -> dict[str, object]:
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


def service_record_input(worklog: Worklog) -> dict[str, object]:
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


def sales_record_input(order: Order, lines: list[dict[str, object]]) -> dict[str, object]:
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
    "company_id",
    "company_input",
    "company_name",
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
