"""Gamma's inbound handler: records what it processed as an ExternalRef, idempotently."""

from __future__ import annotations

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError
from apps.plugin_manager.eventbus.external_refs import link
from apps.plugin_manager.eventbus.models import InboundDelivery
from kgc_erp.tenants.models import Tenant


def record(delivery: InboundDelivery, payload: dict) -> None:
    if payload.get("simulate_failure"):
        raise RuntimeError("simulated handler failure")
    if payload.get("simulate_permanent_failure"):
        raise PermanentDeliveryError("simulated permanent failure")
    tenant = delivery.tenant or Tenant.headquarters()
    record_id = payload.get("id") or (payload.get("record") or {}).get("id")
    link(
        delivery.source,
        str(record_id),
        tenant=tenant,
        object_type=f"{delivery.source}.{delivery.event_type}",
        object_id=delivery.delivery_id or str(delivery.pk),
        data={"event": delivery.event_type},
    )
