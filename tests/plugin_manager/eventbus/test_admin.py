"""The event bus admin: browsers, retry actions, the dashboard, webhook subscriptions."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.plugin_manager.eventbus.models import (
    Delivery,
    Event,
    ExternalRef,
    InboundDelivery,
    WebhookSubscription,
)
from apps.plugin_manager.eventbus.outbox.delivery import run_delivery
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE
from kgc_erp.tenants.models import StaffMembership
from tests.factories import PartnerFactory, TenantFactory
from tests.infrastructure.targets import Fault

from .contracts import chatwoot_webhook
from .helpers import enable_gamma

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_delivery(target, tenant) -> Delivery:
    enable_gamma(target.url)
    target.policy = lambda n, body: Fault(status=410)
    PartnerFactory(tenant=tenant)
    delivery = Delivery.objects.get()
    assert run_delivery(delivery.pk) == "dead"
    return delivery


def test_delivery_browser_shows_filters_and_attempts(admin_client, dead_delivery) -> None:
    changelist = reverse("admin:eventbus_delivery_changelist")
    page = admin_client.get(changelist, {"status__exact": "dead", "subscriber": "gamma"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Halott" in text and "HTTP 410" in text
    assert "Összes halott újrapróbálása ennél a feliratkozónál" in text
    detail = admin_client.get(reverse("admin:eventbus_delivery_change", args=[dead_delivery.pk]))
    assert detail.status_code == 200
    assert "Végleges hiba" in detail.content.decode()  # the attempt row
    events = admin_client.get(reverse("admin:eventbus_event_changelist"))
    assert events.status_code == 200 and "partner.created" in events.content.decode()


def test_next_attempt_is_shown_only_for_pending_deliveries(admin_client, tenant) -> None:
    event = Event.objects.create(type="partner.created", tenant=tenant)
    # Distinct years, so each row's time is recognisable in the pages.
    pending = Delivery.objects.create(
        event=event, tenant=tenant, subscriber="gamma",
        next_attempt_at=dt.datetime(2031, 5, 6, 7, 8, tzinfo=dt.UTC),
    )  # fmt: skip
    succeeded = Delivery.objects.create(
        event=event, tenant=tenant, subscriber="gamma", status=Delivery.Status.SUCCEEDED,
        next_attempt_at=dt.datetime(2032, 5, 6, 7, 8, tzinfo=dt.UTC),
    )  # fmt: skip
    listing = admin_client.get(reverse("admin:eventbus_delivery_changelist")).content.decode()
    assert "2031" in listing and "2032" not in listing
    for delivery, shown, hidden in ((pending, "2031", "2032"), (succeeded, None, "2032")):
        url = reverse("admin:eventbus_delivery_change", args=[delivery.pk])
        page = admin_client.get(url).content.decode()
        assert "következő próbálkozás" in page.lower()
        assert hidden not in page and (shown is None or shown in page)
        assert 'name="next_attempt_at"' not in page  # never an editable field
    event_page = admin_client.get(reverse("admin:eventbus_event_change", args=[event.pk]))
    assert "2031" in event_page.content.decode() and "2032" not in event_page.content.decode()


def test_retry_actions(admin_client, dead_delivery) -> None:
    changelist = reverse("admin:eventbus_delivery_changelist")
    response = admin_client.post(
        changelist,
        {"action": "retry_all_dead_of_subscriber", "_selected_action": [dead_delivery.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 halott kézbesítés újra sorba állítva (gamma)" in response.content.decode()
    dead_delivery.refresh_from_db()
    assert (dead_delivery.status, dead_delivery.attempts) == ("pending", 0)

    Delivery.objects.filter(pk=dead_delivery.pk).update(status="dead")
    admin_client.post(
        changelist, {"action": "retry_selected", "_selected_action": [dead_delivery.pk]}
    )
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == "pending"


def test_dashboard_counts_per_status_and_oldest_pending(admin_client, dead_delivery, tenant):
    PartnerFactory(tenant=tenant)  # one more, pending
    page = admin_client.get(reverse("admin:eventbus_delivery_dashboard"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Eseménybusz áttekintés" in text
    row = re.search(r"subscriber=gamma\">gamma</a></td>(.*?)</tr>", text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    pending, running, succeeded = cells[0], cells[1], cells[2]
    assert (pending.strip(), running.strip(), succeeded.strip()) == ("1", "0", "0")
    assert "status__exact=dead" in cells[3]  # one dead, linked to the filtered list
    assert "perc" in cells[5]  # age of the oldest pending delivery ("0 perc")


def test_franchise_staff_see_only_their_tenant(client, dead_delivery, tenant) -> None:
    other = TenantFactory(slug="franchise-pecs", name="Pécs")
    user = get_user_model().objects.create_user("pecs", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_delivery", "change_delivery"])
    )
    StaffMembership.objects.create(user=user, tenant=other)
    client.force_login(user)
    page = client.get(reverse("admin:eventbus_delivery_changelist"))
    assert page.status_code == 200
    assert "HTTP 410" not in page.content.decode()
    dashboard = client.get(reverse("admin:eventbus_delivery_dashboard"))
    assert "Még nincs kézbesítés." in dashboard.content.decode()


def test_inbox_browser_shows_raw_body_and_verification(admin_client, client, tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook", chatwoot_secret="s3cret", chatwoot_account_id=3)
    body = chatwoot_webhook("message_created")
    ts = int(time.time())
    for secret in ("s3cret", "forged"):
        client.post(
            f"/webhooks/gamma-chatwoot/{tenant.slug}/", data=body,
            content_type="application/json",
            headers={"X-Chatwoot-Signature": CHATWOOT_SIGNATURE.sign(secret, ts, body),
                     "X-Chatwoot-Timestamp": str(ts)},
        )
    accepted = InboundDelivery.objects.get(verification="ok")
    refused = InboundDelivery.objects.get(verification="bad_signature")
    listing = admin_client.get(reverse("admin:eventbus_inbounddelivery_changelist"))
    assert "bad_signature" in listing.content.decode()
    detail = admin_client.get(
        reverse("admin:eventbus_inbounddelivery_change", args=[accepted.pk])
    ).content.decode()
    assert "Jó napot" in detail or "message_created" in detail  # pretty-printed raw body
    assert "X-Chatwoot-Signature" in detail
    detail = admin_client.get(
        reverse("admin:eventbus_inbounddelivery_change", args=[refused.pk])
    )
    assert detail.status_code == 200


def test_webhook_subscription_secret_shown_once_and_rotated(admin_client, tenant) -> None:
    add = reverse("admin:eventbus_webhooksubscription_add")
    response = admin_client.post(
        add,
        {"tenant": tenant.pk, "name": "CRM push", "target_url": "https://crm.example.hu/kgc",
         "event_types": ["partner.created", "partner.updated"], "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    match = re.search(r"csak most látható, másolja ki\): (whsec_[\w-]+)", text)
    assert match, text[:2000]
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret == match.group(1)
    assert subscription.secret_encrypted.startswith("enc:v1:")
    assert match.group(1) not in subscription.secret_encrypted
    page = admin_client.get(
        reverse("admin:eventbus_webhooksubscription_change", args=[subscription.pk])
    )
    assert match.group(1) not in page.content.decode()  # never shown again

    old_secret = subscription.secret
    response = admin_client.post(
        reverse("admin:eventbus_webhooksubscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
        follow=True,
    )
    assert "új titkos kulcsa" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.secret != old_secret
    assert subscription.signing_secrets() == [subscription.secret, old_secret]


def test_external_refs_browser(admin_client, tenant) -> None:
    ExternalRef.objects.create(
        tenant=tenant, system="twenty", object_type="partners.partner", object_id="7",
        external_id="c0ffee00-1234-4abc-9def-0123456789ab", sync_status="synced",
    )
    page = admin_client.get(reverse("admin:eventbus_externalref_changelist"))
    assert page.status_code == 200 and "c0ffee00" in page.content.decode()
