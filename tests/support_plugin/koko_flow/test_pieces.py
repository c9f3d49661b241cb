"""The flow's pieces without the worker: ERP answers for each document kind, team
settings, feedback values, and the admin's tenant scoping and permissions (real
PostgreSQL, real admin views)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from apps.plugin_manager.services import update_settings
from apps.support_plugin.koko import erp_status
from apps.support_plugin.koko.feedback import parse_thumb
from apps.support_plugin.koko.flow import escalation_teams, team_for
from apps.support_plugin.koko.models import KokoConversation, KokoReply
from kgc_erp.tenants.models import StaffMembership
from tests.factories import PartnerFactory, TenantFactory, place_order, start_rental

pytestmark = pytest.mark.django_db


def test_erp_answers_rental_and_order_of_the_partner_only() -> None:
    partner = PartnerFactory()
    rental = start_rental(partner)
    order = place_order(partner)
    text = f"Szia! Mi a helyzet az {rental.number.lower()} és az {order.number} ügyemmel?"
    answer = erp_status.answer(partner.tenant_id, partner.pk, text)
    assert answer is not None and answer.found and answer.intent == "berles"
    assert f"A(z) {rental.number} számú bérlés" in answer.text
    assert "Aktív bérlés" in answer.text and "Lejárat:" in answer.text
    assert f"A(z) {order.number} számú rendelés állapota: " in answer.text
    assert answer.text.startswith("Tisztelt Ügyfelünk!")
    stranger = PartnerFactory()
    refused = erp_status.answer(stranger.tenant_id, stranger.pk, text)
    assert refused is not None and not refused.found and refused.text == ""
    unknown = erp_status.answer(partner.tenant_id, None, text)
    assert unknown is not None and not unknown.found
    assert erp_status.answer(partner.tenant_id, partner.pk, "Mennyi a kaució?") is None
    assert erp_status.document_numbers("m-2026-0001, M-2026-0001 és O-2026-00012") == [
        "M-2026-0001", "O-2026-00012"]


def test_escalation_team_setting_is_parsed_per_tenant() -> None:
    tenant = TenantFactory(slug="kgc-teams")
    update_settings("koko", tenant, {"escalation_teams": "berles=3; szerviz:4, rossz=x, *=9"})
    assert escalation_teams(tenant.pk) == {"berles": 3, "szerviz": 4, "*": 9}
    assert team_for(tenant.pk, "szerviz") == 4
    assert team_for(tenant.pk, "general") == 9
    other = TenantFactory(slug="kgc-noteams")
    assert team_for(other.pk, "berles") is None


@pytest.mark.parametrize(("value", "thumb"), [
    ("👍", "up"), ("👍️", "up"), ("UP", "up"), ("+1", "up"), ("Jó", "up"),
    ("👎", "down"), ("-1", "down"), ("rossz", "down"), ("", ""), ("talán", ""), (None, ""),
])
def test_feedback_values(value: object, thumb: str) -> None:
    assert parse_thumb(value) == thumb


def _waiting_reply(tenant_slug: str) -> KokoReply:
    tenant = TenantFactory(slug=tenant_slug)
    conversation = KokoConversation.objects.create(tenant=tenant, account_id=1,
                                                   conversation_id=7)
    return KokoReply.objects.create(
        tenant=tenant, conversation=conversation, account_id=1, message_id=70,
        customer_text=f"Kérdés {tenant_slug}", route="approval", intent="general",
        confidence=0.6, draft_text="Tisztelt Ügyfelünk! Válasz.",
        status=KokoReply.Status.AWAITING_APPROVAL)


def _staff(tenant_slug: str, *perms: str) -> Client:
    user = User.objects.create_user(f"staff-{tenant_slug}", password="Jelszo-123",
                                    is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="support_koko", codename__in=perms))
    StaffMembership.objects.create(user=user, tenant=TenantFactory(slug=tenant_slug))
    client = Client()
    client.force_login(user)
    return client


def test_admin_is_scoped_to_the_staff_users_tenant() -> None:
    own = _waiting_reply("kgc-sajat")
    foreign = _waiting_reply("kgc-idegen")
    client = _staff("kgc-sajat", "view_kokoreply", "approve_kokoreply")
    page = client.get(reverse("admin:support_koko_kokoreply_queue")).content.decode()
    assert "Kérdés kgc-sajat" in page and "Kérdés kgc-idegen" not in page
    response = client.post(reverse("admin:support_koko_kokoreply_reject", args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == KokoReply.Status.AWAITING_APPROVAL
    assert client.post(reverse("admin:support_koko_kokoreply_reject",
                               args=[own.pk])).status_code == 302
    own.refresh_from_db()
    assert own.status == KokoReply.Status.REJECTED
    stats = client.get(reverse("admin:support_koko_kokoreply_stats"))
    assert stats.status_code == 200 and "Még nincs Kokó döntés." not in stats.content.decode()


def test_deciding_needs_the_approval_permission() -> None:
    reply = _waiting_reply("kgc-jog")
    viewer = _staff("kgc-jog", "view_kokoreply")
    queue = viewer.get(reverse("admin:support_koko_kokoreply_queue")).content.decode()
    assert "Jóváhagyáshoz „Kokó válaszok jóváhagyása” jogosultság kell." in queue
    assert viewer.post(reverse("admin:support_koko_kokoreply_approve",
                               args=[reply.pk])).status_code == 403
    reply.refresh_from_db()
    assert reply.status == KokoReply.Status.AWAITING_APPROVAL
    nobody = _staff("kgc-senki")
    assert nobody.get(reverse("admin:support_koko_kokoreply_queue")).status_code == 403
