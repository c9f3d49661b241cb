"""Pure mapping between ERP partners and Chatwoot contacts (no ORM queries, no HTTP).

What leaves the ERP is exactly what an agent needs to recognise and serve the customer.
The tax number, marketing consent and internal notes never do (the source documents
forbid it), and a mapper that touched them would be a data leak; tests assert it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kgc_erp.partners.models import Partner

from .partner_stats import PartnerStats

E164 = re.compile(r"\A\+[1-9]\d{1,14}\Z")

# Loyalty tiers by lifetime spend (Ft): the first threshold reached wins.
TIERS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(1_000_000), "arany"),
    (Decimal(300_000), "ezüst"),
    (Decimal(50_000), "bronz"),
    (Decimal(0), "alap"),
)


def tier_for(total_spent: Decimal) -> str:
    for threshold, name in TIERS:
        if total_spent >= threshold:
            return name
    return TIERS[-1][1]


def identifier_for(partner: Partner) -> str:
    """The contact's ``identifier``: our partner id, stable and unique per account (also
    the widget identity, NOTES §11)."""
    return str(partner.pk)


def partner_id_from_identifier(identifier: object) -> int | None:
    if not isinstance(identifier, str):
        return None
    return int(identifier) if re.fullmatch(r"[0-9]{1,18}", identifier) else None


def e164_or_none(phone: str) -> str | None:
    """Chatwoot refuses anything but strict E.164 (NOTES §5): send it only when valid."""
    phone = (phone or "").strip()
    return phone if E164.match(phone) else None


def custom_attributes(partner: Partner, tenant_slug: str, stats: PartnerStats) -> dict[str, object]:
    return {
        "kgc_partner_id": partner.pk,
        "kgc_tenant": tenant_slug,
        "payment_status": partner.payment_status,
        "active_rentals": stats.active_rentals,
        "open_worklogs": stats.open_worklogs,
        "total_spent": int(stats.total_spent),
        "tier": tier_for(stats.total_spent),
    }


def contact_payload(partner: Partner, tenant_slug: str, stats: PartnerStats) -> dict[str, object]:
    """Body of ``POST /contacts`` and ``PUT /contacts/{id}``.

    Empty e-mail / phone are sent as ``""`` so a cleared value is cleared in Chatwoot too:
    Chatwoot stores a blank e-mail as null and skips the format check for a blank phone
    (NOTES §5), and the spec types both as strings (null would break its schema)."""
    payload: dict[str, object] = {
        "name": partner.name,
        "identifier": identifier_for(partner),
        "email": partner.email or "",
        "phone_number": e164_or_none(partner.phone) or "",
        "custom_attributes": custom_attributes(partner, tenant_slug, stats),
    }
    if partner.company:
        payload["additional_attributes"] = {"company_name": partner.company}
    return payload


def lookup_rules(partner: Partner) -> list[tuple[str, str]]:
    """Filter rules to find an existing contact: our identifier, then e-mail, then phone."""
    rules = [("identifier", identifier_for(partner))]
    if partner.email:
        rules.append(("email", partner.email.lower()))
    phone = e164_or_none(partner.phone)
    if phone:
        rules.append(("phone_number", phone))
    return rules


__all__ = (
    "TIERS",
    "contact_payload",
    "custom_attributes",
    "e164_or_none",
    "identifier_for",
    "lookup_rules",
    "partner_id_from_identifier",
    "tier_for",
)
