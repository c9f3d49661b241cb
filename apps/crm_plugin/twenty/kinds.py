"""The three custom history objects and how they are named in Twenty and the ERP."""

from __future__ import annotations

from dataclasses import dataclass

from ..erp_history import RecordKind


@dataclass(frozen=True)
class KindSpec:
    kind: RecordKind
    name_singular: str  # Twenty object nameSingular
    name_plural: str
    key_field: str  # our unique id on the object (upsert key)
    document_stem: str  # documents/core/{upsert,find,destroy}_<stem>s.graphql
    erp_object_type: str  # event bus object type of the source row


SPECS: dict[RecordKind, KindSpec] = {
    RecordKind.RENTAL: KindSpec(
        RecordKind.RENTAL, "rentalRecord", "rentalRecords", "kgcRentalId", "rental_record",
        "rentals.rental",
    ),
    RecordKind.SERVICE: KindSpec(
        RecordKind.SERVICE, "serviceRecord", "serviceRecords", "kgcWorklogId", "service_record",
        "service.worklog",
    ),
    RecordKind.SALES: KindSpec(
        RecordKind.SALES, "salesRecord", "salesRecords", "kgcOrderId", "sales_record",
        "sales.order",
    ),
}  # fmt: skip

__all__ = ("SPECS", "KindSpec", "RecordKind")
