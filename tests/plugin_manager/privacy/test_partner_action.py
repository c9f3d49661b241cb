"""The partner list's erasure action opens a privacy request (tombstones, steps,
receipts) instead of the core's direct anonymisation, and only with the permission."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.plugin_manager.privacy.models import PrivacyRequest, PrivacyStep, Tombstone
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:partners_partner_changelist"


def test_the_action_opens_an_erasure_request_with_tombstones(admin_client) -> None:
    partner = PartnerFactory(name="Törlendő Tamás", phone="+36 30 555 0101",
                             email="tamas@example.hu")
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "privacy_open_erasure" in page
    assert 'value="erase_selected"' not in page  # replaced: no erasure without receipts

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "privacy_open_erasure", "_selected_action": [partner.pk]}, follow=True)
    assert "törlési kérelem megnyitva" in response.content.decode()
    request = PrivacyRequest.objects.get(partner=partner)
    assert request.kind == PrivacyRequest.Kind.ERASURE
    assert Tombstone.objects.filter(tenant=partner.tenant).count() == 2
    erp = PrivacyStep.objects.get(request=request, system="erp")
    assert erp.status == PrivacyStep.Status.DONE
    partner.refresh_from_db()
    assert (partner.phone, partner.email) == ("", "")


def test_without_the_privacy_permission_there_is_no_erasure_action(client) -> None:
    PartnerFactory()
    clerk = get_user_model().objects.create_user("pult", password="x", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_partner", "change_partner"]))
    client.force_login(clerk)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "privacy_open_erasure" not in page
    assert Partner.objects.count() == 1
