"""The KGC custom data model (header of core-subset.graphql), for /_sandbox/bootstrap.

It goes through the same MetadataService calls that createOneObject/createOneField use, so a
bootstrapped workspace is exactly what the integration's own bootstrap would produce.
"""

from __future__ import annotations

from typing import Any

from sandboxes.twenty.metadata_ops import MetadataService
from sandboxes.twenty.model import ObjectMeta


def _select(name: str, label: str, values: list[str], default: str | None = None) -> dict[str, Any]:
    colors = ["green", "orange", "red", "blue", "purple", "gray"]
    field: dict[str, Any] = {
        "type": "SELECT",
        "name": name,
        "label": label,
        "options": [
            {
                "value": v,
                "label": v.replace("_", " ").title(),
                "position": i,
                "color": colors[i % 6],
            }
            for i, v in enumerate(values)
        ],
    }
    if default is not None:
        field["defaultValue"] = f"'{default}'"
    return field


def _simple(field_type: str, name: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"type": field_type, "name": name, "label": label, **extra}


PERSON_FIELDS: list[dict[str, Any]] = [
    _simple("TEXT", "kgcPartnerId", "KGC Partner ID", isUnique=True),
    _simple("TEXT", "kgcTenant", "KGC Tenant"),
    _select("paymentStatus", "Payment Status", ["GOOD", "LATE", "BLOCKED"], default="GOOD"),
    _simple("BOOLEAN", "isBusiness", "Is Business"),
    _simple("NUMBER", "totalRentals", "Total Rentals"),
    _simple("CURRENCY", "totalRevenue", "Total Revenue"),
    _simple("DATE", "lastRentalDate", "Last Rental Date"),
    _simple("DATE", "lastServiceDate", "Last Service Date"),
]

# (nameSingular, namePlural, labelSingular, labelPlural, inverse label on person, fields)
CUSTOM_OBJECTS: list[tuple[str, str, str, str, str, list[dict[str, Any]]]] = [
    (
        "rentalRecord", "rentalRecords", "Rental Record", "Rental Records", "Rental Records",
        [
            _simple("TEXT", "kgcRentalId", "KGC Rental ID", isUnique=True),
            _simple("TEXT", "machineName", "Machine Name"),
            _simple("DATE", "rentalStart", "Rental Start"),
            _simple("DATE", "rentalEnd", "Rental End"),
            _simple("NUMBER", "totalDays", "Total Days"),
            _simple("CURRENCY", "totalCost", "Total Cost"),
            _select("status", "Status", ["ACTIVE", "COMPLETED", "LATE"]),
        ],
    ),
    (
        "serviceRecord", "serviceRecords", "Service Record", "Service Records", "Service Records",
        [
            _simple("TEXT", "kgcWorklogId", "KGC Worklog ID", isUnique=True),
            _simple("TEXT", "machineType", "Machine Type"),
            _simple("TEXT", "issueDescription", "Issue Description"),
            _simple("CURRENCY", "repairCost", "Repair Cost"),
            _select("status", "Status", ["IN_PROGRESS", "COMPLETED"]),
            _simple("DATE_TIME", "completedAt", "Completed At"),
        ],
    ),
    (
        "salesRecord", "salesRecords", "Sales Record", "Sales Records", "Sales Records",
        [
            _simple("TEXT", "kgcOrderId", "KGC Order ID", isUnique=True),
            _simple("RAW_JSON", "items", "Items"),
            _simple("CURRENCY", "totalAmount", "Total Amount"),
            _simple("DATE", "orderDate", "Order Date"),
            _simple("DATE_TIME", "deliveredAt", "Delivered At"),
            _select("status", "Status", ["PENDING", "DELIVERED"]),
        ],
    ),
]  # fmt: skip


def _ensure_field(meta: MetadataService, obj: ObjectMeta, spec: dict[str, Any]) -> None:
    if not obj.has_field(spec["name"]):
        meta.create_field({**spec, "objectMetadataId": obj.id})


def apply_kgc_model(meta: MetadataService) -> None:
    """Create whatever part of the KGC model is missing (idempotent, like a good bootstrap)."""
    person = meta.ws.object_named("person")
    assert person is not None, "the standard person object is missing"
    for spec in PERSON_FIELDS:
        _ensure_field(meta, person, spec)
    for singular, plural, label_s, label_p, inverse_label, fields in CUSTOM_OBJECTS:
        obj = meta.ws.object_named(singular)
        if obj is None:
            obj = meta.create_object(
                {
                    "nameSingular": singular,
                    "namePlural": plural,
                    "labelSingular": label_s,
                    "labelPlural": label_p,
                    "icon": "IconBox",
                    "isLabelSyncedWithName": False,
                }
            )
        if not obj.has_field("person"):
            meta.create_field(
                {
                    "objectMetadataId": obj.id,
                    "type": "RELATION",
                    "name": "person",
                    "label": "Person",
                    "isNullable": True,
                    "relationCreationPayload": {
                        "type": "MANY_TO_ONE",
                        "targetObjectMetadataId": person.id,
                        "targetFieldLabel": inverse_label,
                        "targetFieldIcon": "IconList",
                    },
                }
            )
        for spec in fields:
            _ensure_field(meta, obj, spec)
