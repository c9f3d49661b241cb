"""Kokó's privacy handler finds the person's conversations by the partner and by their
e-mail or phone written in any message (any notation), exports them, deletes them with a
verified receipt, and never touches another tenant's rows."""

from __future__ import annotations

from typing import Any

import pytest

from apps.plugin_manager.privacy.handlers import PrivacySubject
from apps.support_plugin.koko.models import KokoConversation, KokoReply
from apps.support_plugin.koko.privacy import KokoPrivacyHandler
from kgc_erp.tenants.models import Tenant
from tests.factories import PartnerFactory, TenantFactory

pytestmark = pytest.mark.django_db


def _said(tenant: Tenant, conversation_id: int, text: str, partner: Any = None,
          **fields: Any) -> KokoReply:
    conversation = KokoConversation.objects.create(
        tenant=tenant, account_id=1, conversation_id=conversation_id, partner=partner)
    return KokoReply.objects.create(
        tenant=tenant, conversation=conversation, account_id=1, message_id=conversation_id,
        customer_text=text, route="escalate", intent="general", confidence=0.1,
        status=KokoReply.Status.ESCALATED, feedback=KokoReply.Feedback.DOWN, **fields)


def test_conversations_by_partner_and_by_mention_are_exported_and_erased() -> None:
    partner = PartnerFactory(phone="+36301112222", email="kiss.anna@example.hu")
    tenant, other = partner.tenant, TenantFactory()
    _said(tenant, 1, "Mennyi a kaució?", partner=partner)
    _said(tenant, 2, "Hívjanak vissza: 06 (30) 111-22-22")  # unknown contact, own number
    _said(tenant, 3, "Köszönöm", draft_text="Írjon a KISS.ANNA@example.hu címre")
    _said(tenant, 4, "Más ügyfél: 06 30 999 8888")
    _said(other, 5, "Hívjanak: 06 30 111 2222")  # another store's customer
    subject = PrivacySubject(tenant=tenant, partner_id=partner.pk, phone=partner.phone,
                             email=partner.email)
    handler = KokoPrivacyHandler()

    exported = handler.export(subject)
    assert sorted(c["conversation_id"] for c in exported["conversations"]) == [1, 2, 3]
    assert exported["conversations"][0]["messages"][0]["feedback"] == "down"

    receipt = handler.erase(subject)

    assert receipt.action == "deleted" and "3 conversations" in receipt.evidence
    assert "111" not in receipt.evidence and "kiss" not in receipt.evidence
    assert sorted(KokoReply.objects.values_list("message_id", flat=True)) == [4, 5]
    assert KokoConversation.objects.filter(tenant=tenant).count() == 1
    assert handler.erase(subject).action == "nothing_held"
