"""Our data model in Twenty: the custom fields on Person and the three history objects.

The schema bootstrap creates exactly this (``schema_bootstrap.py``); the error classifier
uses the names to tell "our model is not in the workspace yet" from a real mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # FieldMetadataType
    label: str
    graphql_type: str  # what /graphql must show for it
    is_unique: bool = False
    options: tuple[str, ...] = ()  # SELECT values, in order
    default: str | None = None  # SELECT default value

    def create_input(self, object_id: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "objectMetadataId": object_id,
            "type": self.type,
            "name": self.name,
            "label": self.label,
            "isNullable": True,
        }
        if self.is_unique:
            data["isUnique"] = True
        if self.options:
            colors = ("green", "orange", "red", "blue", "purple", "gray")
            data["options"] = [
                {"value": v, "label": v.replace("_", " ").title(), "position": i,
                 "color": colors[i % len(colors)]}
                for i, v in enumerate(self.options)
            ]  # fmt: skip
        if self.default is not None:
            data["defaultValue"] = f"'{self.default}'"  # a quoted SQL literal (NOTES §5)
        return data


@dataclass(frozen=True)
class ObjectSpec:
    name_singular: str
    name_plural: str
    label_singular: str
    label_plural: str
    graphql_type: str
    icon: str
    fields: tuple[FieldSpec, ...]


def _enum(obj: str, name: str) -> str:
    return f"{obj[0].upper()}{obj[1:]}{name[0].upper()}{name[1:]}Enum"


PERSON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("kgcPartnerId", "TEXT", "KGC Partner ID", "String", is_unique=True),
    FieldSpec("kgcTenant", "TEXT", "KGC Tenant", "String"),
    FieldSpec("paymentStatus", "SELECT", "Payment Status", _enum("person", "paymentStatus"),
              options=("GOOD", "LATE", "BLOCKED"), default="GOOD"),
    FieldSpec("isBusiness", "BOOLEAN", "Is Business", "Boolean"),
    FieldSpec("totalRentals", "NUMBER", "Total Rentals", "Float"),
    FieldSpec("totalRevenue", "CURRENCY", "Total Revenue", "Currency"),
    FieldSpec("lastRentalDate", "DATE", "Last Rental Date", "Date"),
    FieldSpec("lastServiceDate", "DATE", "Last Service Date", "Date"),
)  # fmt: skip

CUSTOM_OBJECTS: tuple[ObjectSpec, ...] = (
    ObjectSpec("rentalRecord", "rentalRecords", "Rental Record", "Rental Records",
               "RentalRecord", "IconCar", (
        FieldSpec("kgcRentalId", "TEXT", "KGC Rental ID", "String", is_unique=True),
        FieldSpec("machineName", "TEXT", "Machine Name", "String"),
        FieldSpec("rentalStart", "DATE", "Rental Start", "Date"),
        FieldSpec("rentalEnd", "DATE", "Rental End", "Date"),
        FieldSpec("totalDays", "NUMBER", "Total Days", "Float"),
        FieldSpec("totalCost", "CURRENCY", "Total Cost", "Currency"),
        FieldSpec("status", "SELECT", "Status", _enum("rentalRecord", "status"),
                  options=("ACTIVE", "COMPLETED", "LATE")),
    )),
    ObjectSpec("serviceRecord", "serviceRecords", "Service Record", "Service Records",
               "ServiceRecord", "IconTool", (
        FieldSpec("kgcWorklogId", "TEXT", "KGC Worklog ID", "String", is_unique=True),
        FieldSpec("machineType", "TEXT", "Machine Type", "String"),
        FieldSpec("issueDescription", "TEXT", "Issue Description", "String"),
        FieldSpec("repairCost", "CURRENCY", "Repair Cost", "Currency"),
        FieldSpec("status", "SELECT", "Status", _enum("serviceRecord", "status"),
                  options=("IN_PROGRESS", "COMPLETED")),
        FieldSpec("completedAt", "DATE_TIME", "Completed At", "DateTime"),
    )),
    ObjectSpec("salesRecord", "salesRecords", "Sales Record", "Sales Records",
               "SalesRecord", "IconShoppingCart", (
        FieldSpec("kgcOrderId", "TEXT", "KGC Order ID", "String", is_unique=True),
        FieldSpec("items", "RAW_JSON", "Items", "JSON"),
        FieldSpec("totalAmount", "CURRENCY", "Total Amount", "Currency"),
        FieldSpec("orderDate", "DATE", "Order Date", "Date"),
        FieldSpec("deliveredAt", "DATE_TIME", "Delivered At", "DateTime"),
        FieldSpec("status", "SELECT", "Status", _enum("salesRecord", "status"),
                  options=("PENDING", "DELIVERED")),
    )),
)  # fmt: skip


def _own_names() -> frozenset[str]:
    names: set[str] = {f.name for f in PERSON_FIELDS}
    for obj in CUSTOM_OBJECTS:
        names.update({obj.name_singular, obj.name_plural, obj.graphql_type})
        names.update(f.name for f in obj.fields if f.name.startswith("kgc"))
    return frozenset(names)


# Field, object and type names only our bootstrap creates (a standard workspace lacks them).
OWN_NAMES: frozenset[str] = _own_names()

__all__ = ("CUSTOM_OBJECTS", "OWN_NAMES", "PERSON_FIELDS", "FieldSpec", "ObjectSpec")
