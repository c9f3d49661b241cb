"""The Hungarian admin: campaigns with their runs, a preview with a real partner, the send
log filtered by partner, and "send test to me" through the same rendering and SMTP path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind
from apps.crm_plugin.campaigns.queueing import run_campaign
from apps.crm_plugin.campaigns.selection import months_before
from apps.crm_plugin.campaigns.sending import close_connection
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental

from .smtp_sink import SmtpSink

pytestmark = pytest.mark.usefixtures("plugin_on")


@pytest.fixture
def admin_client(db: None) -> Client:
    user = User.objects.create_superuser("kampany-admin", "admin@kgc.example", "jelszo-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def smtp_settings(settings: Any, smtp: SmtpSink) -> Iterator[SmtpSink]:
    close_connection()  # this thread's kept-open connection may point at another server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield smtp
    close_connection()


def test_admin_pages_preview_log_and_test_send(
        admin_client: Client, smtp_settings: SmtpSink, make_partner: Callable[..., Partner],
        make_rental: Callable[..., Rental]) -> None:
    partner = make_partner("Előnézet Piroska")
    start = months_before(timezone.localdate(), 8)
    make_rental(partner, start, start + timedelta(days=1))
    campaign = Campaign.objects.get(kind=CampaignKind.WIN_BACK)
    run_campaign(campaign)

    assert admin_client.get(reverse("admin:crm_campaigns_campaign_changelist")).status_code == 200
    change = admin_client.get(reverse("admin:crm_campaigns_campaign_change", args=[campaign.pk]))
    assert change.status_code == 200 and "kihagyva: már megkapta" in change.content.decode().lower()
    preview = admin_client.get(
        reverse("admin:crm_campaigns_campaign_preview", args=[campaign.pk]),
        {"partner": partner.pk})
    assert preview.status_code == 200
    assert "Előnézet Piroska" in preview.content.decode()
    log = admin_client.get(reverse("admin:crm_campaigns_campaignsend_changelist"),
                           {"partner__id__exact": partner.pk})
    assert log.status_code == 200

    sent = admin_client.post(
        reverse("admin:crm_campaigns_campaign_send_test", args=[campaign.pk]),
        {"partner": partner.pk})
    assert sent.status_code == 302
    received = smtp_settings.handler.to("admin@kgc.example")
    assert len(received) == 1
    assert "Előnézet Piroska" in received[0].parsed()["Subject"]
