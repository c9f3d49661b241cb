"""The current state of a core row as outbound webhooks send it (`data`).

Explicit field lists, not model_to_dict: what leaves the ERP is a public contract, and
some fields must never leave it (the partner's tax number).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog


def _partner(p: Partner) -> dict[str, object]:
    return {
        "id": p.pk,
        "name": p.name,
        "phone": p.phone,
        "email": p.email,
        "company": p.company,
        "is_business": p.is_business,
        "payment_status": p.payment_status,
        "marketing_consent": p.marketing_consent,
        "is_active": p.is_active,
        "updated_at": p.updated_at,
    }


def _rental(r: Rental) -> dict[str, object]:
    return {
        "id": r.pk,
        "number": r.number,
        "partner_id": r.partner_id,
        "machine": {"id": r.machine_id, "name": r.machine.name, "serial": r.machine.serial},
        "start_date": r.start_date,
        "end_date": r.end_date,
        "returned_at": r.returned_at,
        "status": r.status,
        "total_cost": r.total_cost,
        "updated_at": r.updated_at,
    }


def _worklog(w: Worklog) -> dict[str, object]:
    return {
        "id": w.pk,
        "number": w.number,
        "partner_id": w.partner_id,
        "machine_type": w.machine_type,
        "status": w.status,
        "quote_amount": w.quote_amount,
        "repair_cost": w.repair_cost,
        "estimated_completion": w.estimated_completion,
        "completed_at": w.completed_at,
        "updated_at": w.updated_at,
    }


def _order(o: Order) -> dict[str, object]:
    return {
        "id": o.pk,
        "number": o.number,
        "partner_id": o.partner_id,
        "status": o.status,
        "order_date": o.order_date,
        "estimated_arrival": o.estimated_arrival,
        "arrived_at": o.arrived_at,
        "delivered_at": o.delivered_at,
        "total_amount": o.total_amount,
        "updated_at": o.updated_at,
    }


# Any: each function takes its own model (the key), which a dict type cannot say.
_SERIALIZERS: dict[type[Model], Callable[[Any], dict[str, object]]] = {
    Partner: _partner,
    Rental: _rental,
    Worklog: _worklog,
    Order: _order,
}


def object_state(obj: Model | None) -> dict[str, object] | None:
    """The public state of a core row (None when it is gone or not a core model)."""
    if obj is None:
        return None
    serializer = _SERIALIZERS.get(type(obj))
    return serializer(obj) if serializer else None


__all__ = ("object_state",)
