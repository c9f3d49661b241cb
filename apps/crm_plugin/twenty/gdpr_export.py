"""GDPR export: one JSON document with everything Twenty holds about a partner."""

from __future__ import annotations

from django.utils import timezone

from .client import TwentyClient
from .kinds import SPECS
from .mappers import kgc_partner_id
from .people import WITH_DELETED, find_person


def export_partner(client: TwentyClient, partner_pk: int) -> dict[str, object]:
    """The person (trashed included) and all of its history records, read from Twenty."""
    person = find_person(client, partner_pk, include_deleted=True)
    document: dict[str, object] = {
        "kgcPartnerId": kgc_partner_id(partner_pk),
        "exportedAt": timezone.now().isoformat(),
        "source": "Twenty CRM",
        "person": person,
    }
    for spec in SPECS.values():
        records: list[dict[str, object]] = []
        if person is not None:
            records = list(
                client.iter_records(
                    spec.kind, {"and": [{"personId": {"eq": person["id"]}}, WITH_DELETED]}
                )
            )
        document[spec.name_plural] = records
    return document


__all__ = ("export_partner",)
