"""The Twenty part of data-subject requests (declared in the CRM plugin's manifest
``privacy_handlers``; protocol: apps.plugin_manager.privacy.handlers).

Export: the existing GDPR export (person, trashed included, and its history records).
Erasure: ``destroy_partner`` (records, person, own company), then the person must not be
found even among the trashed ones.
"""

from __future__ import annotations

from typing import Any

from apps.plugin_manager.eventbus.external_refs import find_ref
from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed

from .client import TwentyClient
from .config import SYSTEM, TwentyConfig
from .errors import TwentyNotConfigured
from .gdpr_export import export_partner
from .mappers import kgc_partner_id
from .models import CrmConflict
from .people import PARTNER_OBJECT_TYPE, destroy_partner, find_person


def _client(subject: PrivacySubject) -> TwentyClient:
    return TwentyClient(TwentyConfig.from_settings(subject.settings))


def _connected(subject: PrivacySubject) -> bool:
    """A store on the Krayin backend may have no Twenty connection at all: nothing held."""
    try:
        TwentyConfig.from_settings(subject.settings)
    except TwentyNotConfigured:
        return False
    return True


class TwentyPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        if subject.partner_id is None or not _connected(subject):
            return {"person": None}
        with _client(subject) as client:
            return export_partner(client, subject.partner_id)

    def erase(self, subject: PrivacySubject) -> Receipt:
        if subject.partner_id is None:
            return Receipt("nothing_held", "no partner id")
        if not _connected(subject):
            return Receipt("nothing_held", "Twenty is not connected for this store")
        ours = kgc_partner_id(subject.partner_id)
        # A link (even one marked deleted) means Twenty held the person: the partner.deleted
        # delivery of the same erasure may have destroyed it first.
        ref = find_ref(SYSTEM, tenant=subject.tenant, object_type=PARTNER_OBJECT_TYPE,
                       object_id=str(subject.partner_id))
        with _client(subject) as client:
            destroyed = destroy_partner(client, subject.partner_id, subject.tenant.pk)
            if find_person(client, subject.partner_id, include_deleted=True) is not None:
                raise VerificationFailed(f"person {ours} still found after destroy")
        # Hand edits logged earlier quote the person's values: they go with the person.
        CrmConflict.objects.filter(kgc_partner_id=ours).delete()
        CrmConflict.objects.filter(partner_id=subject.partner_id).delete()
        lookup = f"people(filter: kgcPartnerId = {ours}, with deleted) -> none"
        if not destroyed and (ref is None or not ref.external_id):
            return Receipt("nothing_held", lookup)
        return Receipt("deleted", f"destroyPerson + history records; {lookup}",
                       external_id=ours)


__all__ = ("TwentyPrivacyHandler",)
