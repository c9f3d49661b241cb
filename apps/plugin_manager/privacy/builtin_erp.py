"""The built-in "erp" step: the ERP's own copy of the person.

Erasure is the core's anonymisation (``kgc_erp.partners.services.erase_partner``: the row
stays for the accounting history of rentals, worklogs and orders), verified by reading the
row back. Export is the partner row and its rentals, worklogs, orders and appointments.
"""

from __future__ import annotations

from typing import Any

from django.core import serializers
from django.db.models import Model, QuerySet

from kgc_erp.partners.models import Partner
from kgc_erp.partners.services import erase_partner

from .handlers import PrivacySubject, Receipt, VerificationFailed

PERSONAL_FIELDS = ("phone", "email", "company", "tax_number")


def _rows(queryset: QuerySet[Any]) -> list[dict[str, Any]]:
    return [
        {"id": row["pk"], **row["fields"]}
        for row in serializers.serialize("python", queryset)
    ]


def _partner(subject: PrivacySubject) -> Partner | None:
    if subject.partner_id is None:
        return None
    return Partner.objects.filter(pk=subject.partner_id, tenant=subject.tenant).first()


class ErpPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        partner = _partner(subject)
        if partner is None:
            return {"partner": None}
        related: dict[str, Any] = {}
        for name in ("rentals", "worklogs", "orders", "appointments"):
            manager = getattr(partner, name, None)
            if manager is not None:
                related[name] = _rows(manager.all().order_by("pk"))
        return {"partner": _rows(Partner.objects.filter(pk=partner.pk))[0], **related}

    def erase(self, subject: PrivacySubject) -> Receipt:
        partner = _partner(subject)
        if partner is None:
            return Receipt("nothing_held", "partner row not found in this tenant")
        erase_partner(partner)
        check: Model | None = Partner.objects.filter(pk=partner.pk).first()
        assert isinstance(check, Partner)
        left = [name for name in PERSONAL_FIELDS if getattr(check, name)]
        if left or check.is_active:
            raise VerificationFailed(f"partner {partner.pk} still holds {', '.join(left)}")
        return Receipt("anonymised",
                       f"partners_partner id={partner.pk}: personal fields empty, inactive",
                       external_id=str(partner.pk))


__all__ = ("ErpPrivacyHandler",)
