"""Which ERP partner a Chatwoot contact stands for, within one tenant only.

Order: our stored link, our identifier on the contact, then an unambiguous phone or
e-mail match. A tenant never sees another tenant's partners here: every query is scoped.
"""

from __future__ import annotations

from typing import Any

from apps.plugin_manager.eventbus.external_refs import refs_for_external_id
from apps.plugin_manager.eventbus.models import SyncStatus
from apps.plugin_manager.privacy.tombstones import is_tombstoned
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.models import Tenant

from . import mappers
from .config import SYSTEM
from .contact_sync import PARTNER_OBJECT_TYPE


def _only(partners: list[Partner]) -> Partner | None:
    return partners[0] if len(partners) == 1 else None


def linked_partner(tenant: Tenant, contact_id: int, account_id: int) -> Partner | None:
    refs = refs_for_external_id(SYSTEM, contact_id, tenant).filter(
        object_type=PARTNER_OBJECT_TYPE
    ).exclude(sync_status=SyncStatus.DELETED)
    for ref in refs:
        if ref.data.get("account_id") == account_id:
            return Partner.objects.filter(tenant=tenant, pk=ref.object_id,
                                          is_active=True).first()
    return None


def match_partner(tenant: Tenant, contact: dict[str, Any], account_id: int) -> Partner | None:
    contact_id = contact.get("id")
    if isinstance(contact_id, int):
        partner = linked_partner(tenant, contact_id, account_id)
        if partner is not None:
            return partner
    active = Partner.objects.filter(tenant=tenant, is_active=True)
    partner_id = mappers.partner_id_from_identifier(contact.get("identifier"))
    if partner_id is not None:
        partner = active.filter(pk=partner_id).first()
        if partner is not None:
            return partner
    phone = mappers.e164_or_none(str(contact.get("phone_number") or ""))
    email = str(contact.get("email") or "").strip().lower()
    if is_tombstoned(tenant, phone=phone or "", email=email):
        return None  # an erased person's phone or e-mail: never matched to anyone again
    if phone:
        partner = _only(list(active.filter(phone=phone)[:2]))
        if partner is not None:
            return partner
    if email:
        return _only(list(active.filter(email=email)[:2]))
    return None


__all__ = ("linked_partner", "match_partner")
