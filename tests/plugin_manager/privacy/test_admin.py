"""The Hungarian admin of privacy requests: list with deadline, add form opening a request,
export download only with the permission, retention page, tombstone lift."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from apps.plugin_manager import services
from apps.plugin_manager.privacy.models import PrivacyRequest, Tombstone
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plugins_off(db: None) -> None:
    for plugin_id in ("support", "crm"):
        services.set_enabled(plugin_id, None, False)


def test_add_list_download_and_retention(admin_client: Client) -> None:
    partner = PartnerFactory(name="Kiss Béla", phone="+36301112299", email="kiss@example.hu")
    response = admin_client.post(reverse("admin:privacy_privacyrequest_add"), {
        "partner": partner.pk, "kind": "access", "requested_by": "maga az ügyfél",
        "channel": "email", "received_at_0": "2026.12.01.", "received_at_1": "10:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    request = PrivacyRequest.objects.get()
    assert request.status == PrivacyRequest.Status.DONE and request.export_available

    page = admin_client.get(reverse("admin:privacy_privacyrequest_changelist")).content.decode()
    assert "nap van hátra" in page or "kész" in page
    assert "Megőrzési idők" in page and "ZIP letöltése" in page
    download = admin_client.get(reverse("admin:privacy_privacyrequest_export",
                                        args=[request.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    change = admin_client.get(reverse("admin:privacy_privacyrequest_change",
                                      args=[request.pk])).content.decode()
    assert "exportálva" in change
    retention = admin_client.get(reverse("admin:privacy_retention")).content.decode()
    assert "PRIVACY_INBOX_BODY_RETENTION_DAYS" in retention


def test_without_the_permission_nothing_is_shown(db: None) -> None:
    staff = User.objects.create_user("pult", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_partner"))
    client = Client()
    client.force_login(staff)
    partner = PartnerFactory()
    request = PrivacyRequest.objects.create(tenant=partner.tenant, kind="access",
                                            requested_by="x", channel="email",
                                            export_file=b"x")
    assert client.get(reverse("admin:privacy_privacyrequest_changelist")).status_code == 403
    assert client.get(reverse("admin:privacy_privacyrequest_export",
                              args=[request.pk])).status_code in (403, 404)


def test_lift_action_records_who_and_when(admin_client: Client) -> None:
    partner = PartnerFactory(phone="+36301113388")
    admin_client.post(reverse("admin:privacy_privacyrequest_add"), {
        "partner": partner.pk, "kind": "erasure", "requested_by": "ügyfél",
        "channel": "phone", "received_at_0": "2026.12.01.", "received_at_1": "10:00",
    })
    tombstones = list(Tombstone.objects.all())
    assert tombstones
    response = admin_client.post(reverse("admin:privacy_tombstone_changelist"), {
        "action": "lift_selected", "_selected_action": [t.pk for t in tombstones],
    })
    assert response.status_code == 302
    for tombstone in Tombstone.objects.all():
        assert tombstone.lifted_at is not None and tombstone.lifted_by is not None
