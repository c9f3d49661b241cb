"""Find-or-create support for handlers: which outside record is the copy of which ERP row.

Typical handler flow::

    ref = find_ref("crm_vendor", tenant=context.tenant, obj=partner)
    if ref and ref.external_id:
        client.update_person(ref.external_id, data)
    else:
        person_id = client.find_person_by_kgc_id(partner.pk) or client.create_person(data)
        link("crm_vendor", person_id, tenant=context.tenant, obj=partner)

A row may be given as `obj=` or as `object_type=` ("app_label.model_name") plus
`object_id=`; a tenant as a `Tenant` or its id.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Model, QuerySet
from django.utils import timezone

from apps.plugin_manager.eventbus.models import ExternalRef, SyncStatus
from apps.plugin_manager.eventbus.object_refs import object_ref
from kgc_erp.tenants.models import Tenant


def _object_key(
    obj: Model | None, object_type: str | None, object_id: str | int | None
) -> tuple[str, str]:
    if obj is not None:
        return object_ref(obj)
    if not object_type or object_id is None or object_id == "":
        raise ValueError("give either obj= or both object_type= and object_id=")
    return object_type, str(object_id)


def _tenant_id(tenant: Tenant | int) -> int:
    return tenant.pk if isinstance(tenant, Tenant) else int(tenant)


def find_ref(
    system: str,
    *,
    tenant: Tenant | int,
    obj: Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
) -> ExternalRef | None:
    """The link of this row to `system`, or None if it was never synced there."""
    object_type, object_id = _object_key(obj, object_type, object_id)
    return ExternalRef.objects.filter(
        tenant_id=_tenant_id(tenant), system=system, object_type=object_type, object_id=object_id
    ).first()


def link(
    system: str,
    external_id: str | int,
    *,
    tenant: Tenant | int,
    obj: Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    data: Mapping[str, object] | None = None,
) -> ExternalRef:
    """Record (or update) that this row is `external_id` in `system`, synced now."""
    object_type, object_id = _object_key(obj, object_type, object_id)
    defaults: dict[str, object] = {
        "external_id": str(external_id),
        "sync_status": SyncStatus.SYNCED,
        "last_synced_at": timezone.now(),
        "last_error": "",
    }
    if data is not None:
        defaults["data"] = dict(data)
    ref, _ = ExternalRef.objects.update_or_create(
        tenant_id=_tenant_id(tenant),
        system=system,
        object_type=object_type,
        object_id=object_id,
        defaults=defaults,
    )
    return ref


def mark_deleted(
    system: str,
    *,
    tenant: Tenant | int,
    obj: Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
) -> ExternalRef | None:
    """Record that the outside copy was deleted (e.g. after a GDPR erasure)."""
    object_type, object_id = _object_key(obj, object_type, object_id)
    ref = find_ref(system, tenant=tenant, object_type=object_type, object_id=object_id)
    if ref is None:
        return None
    ref.sync_status = SyncStatus.DELETED
    ref.last_synced_at = timezone.now()
    ref.last_error = ""
    ref.save(update_fields=("sync_status", "last_synced_at", "last_error", "updated_at"))
    return ref


def refs_for_external_id(
    system: str, external_id: str | int, tenant: Tenant | int | None = None
) -> QuerySet[ExternalRef]:
    """The ERP rows linked to an outside record (for inbound webhooks)."""
    refs = ExternalRef.objects.filter(system=system, external_id=str(external_id))
    if tenant is not None:
        refs = refs.filter(tenant_id=_tenant_id(tenant))
    return refs


__all__ = ("find_ref", "link", "mark_deleted", "refs_for_external_id")
