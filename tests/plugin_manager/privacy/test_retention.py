"""Retention as a registry: the built-in policies plus each plugin's manifest
``retention_policies``, all run by the daily task and listed on the admin page; the
campaigns' sent bodies and SMTP errors, GLPI's and the CRM's error texts are emptied after
their periods (the rows stay); a malformed declaration is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.crm_plugin.campaigns.batches import TOMBSTONED
from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.campaigns.outbound import send_campaign_batch
from apps.crm_plugin.models import SyncRun
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Event
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from apps.plugin_manager.plugins import PluginAppConfig
from apps.plugin_manager.privacy.opening import open_request
from apps.plugin_manager.privacy.retention import apply_retention, retention_rules
from apps.plugin_manager.registry import get_plugin, plugin_problems
from apps.support_plugin.glpi.models import GlpiTicketLink
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

OLD = timezone.now() - timedelta(days=400)


@pytest.fixture(autouse=True)
def plugins_off(db: None) -> None:
    for plugin_id in ("support", "crm", "glpi", "crm_campaigns"):
        services.set_enabled(plugin_id, None, False)


def _send(partner: Any, key: str, **fields: Any) -> CampaignSend:
    campaign, _ = Campaign.objects.get_or_create(kind=CampaignKind.UPSELL,
                                                 defaults={"name": "Ajánlat"})
    send = CampaignSend.objects.create(campaign=campaign, tenant=partner.tenant,
                                       partner=partner, occasion_key=key, **fields)
    return send


def test_every_plugins_policy_is_listed_and_applied() -> None:
    keys = [rule.key for rule in retention_rules()]
    assert {"inbox_bodies", "delivery_errors", "export_files", "bot_api_audit",
            "campaign_bodies", "campaign_errors", "glpi_errors", "crm_sync_errors"} <= set(keys)
    partner = PartnerFactory(email="regi@example.hu")
    old_sent = _send(partner, "a", status=CampaignSend.Status.SENT, to_email=partner.email,
                     subject="Ajánlat", body_text="Szöveg", body_html="<p>Szöveg</p>")
    old_failed = _send(partner, "b", status=CampaignSend.Status.FAILED,
                       error="SMTP 550: <regi@example.hu> unknown")
    old_pending = _send(partner, "c", status=CampaignSend.Status.PENDING,
                        to_email=partner.email)
    fresh = _send(partner, "d", status=CampaignSend.Status.SENT, to_email=partner.email,
                  error="SMTP 451 <regi@example.hu>")
    CampaignSend.objects.filter(pk__in=[old_sent.pk, old_failed.pk, old_pending.pk]).update(
        created_at=OLD)
    link = GlpiTicketLink.objects.create(tenant=partner.tenant, account_id=1, conversation_id=1,
                                         last_error="400 regi@example.hu")
    GlpiTicketLink.objects.filter(pk=link.pk).update(updated_at=OLD)
    run = SyncRun.objects.create(tenant=partner.tenant, backend="krayin",
                                 error="422 emails.0.value regi@example.hu has been taken")
    SyncRun.objects.filter(pk=run.pk).update(started_at=OLD)

    counts = apply_retention()

    for row in (old_sent, old_failed, old_pending, fresh, link, run):
        row.refresh_from_db()
    assert (old_sent.to_email, old_sent.subject, old_sent.body_text) == ("", "", "")
    assert old_sent.occasion_key == "a" and old_sent.status == CampaignSend.Status.SENT
    assert old_failed.error == ""
    assert old_pending.to_email == partner.email, "a row still to be sent keeps its address"
    assert fresh.to_email == partner.email and fresh.error  # within both periods
    assert link.last_error == "" and run.error == ""
    assert counts["campaign_bodies"] == 1 and counts["campaign_errors"] == 1
    assert counts["glpi_errors"] == 1 and counts["crm_sync_errors"] == 1


def test_the_periods_follow_their_settings(settings: Any) -> None:
    settings.CAMPAIGN_SEND_BODY_RETENTION_DAYS = 500
    partner = PartnerFactory(email="marad@example.hu")
    send = _send(partner, "a", status=CampaignSend.Status.SENT, to_email=partner.email)
    CampaignSend.objects.filter(pk=send.pk).update(created_at=OLD)
    assert apply_retention()["campaign_bodies"] == 0
    rule = next(r for r in retention_rules() if r.key == "campaign_bodies")
    assert rule.period == "500 nap"


def test_the_admin_page_lists_what_is_kept_for_how_long(admin_client: Client) -> None:
    page = admin_client.get(reverse("admin:privacy_retention")).content.decode()
    for text in ("Kampány e-mailek címzettje, tárgya és szövege", "180 nap",
                 "CAMPAIGN_SEND_BODY_RETENTION_DAYS", "Kampány e-mailek SMTP hibaüzenetei",
                 "GLPI jegyek és visszaolvasás hibaüzenetei", "crm_campaigns", "glpi",
                 "Bot API naplórészletek", "Beérkezett webhookok nyers törzse"):
        assert text in page, text


def test_a_malformed_retention_declaration_is_refused() -> None:
    plugin = get_plugin("crm_campaigns")
    broken = PluginAppConfig.__new__(type(plugin))
    broken.__dict__.update(plugin.__dict__)
    broken.retention_policies = ("not a path",)
    assert "retention policy 'not a path' is not a dotted path" in plugin_problems(broken)
    broken.retention_policies = "apps.x.y"  # type: ignore[assignment]
    assert any("must be a sequence" in p for p in plugin_problems(broken))


def test_a_pending_send_to_an_erased_address_is_skipped_at_send_time() -> None:
    services.set_enabled("crm_campaigns", None, True)
    erased = PartnerFactory(phone="+36304440055", email="kuldetlen@example.hu")
    holder = PartnerFactory(tenant=erased.tenant, email="kuldetlen@example.hu",
                            marketing_consent=True)
    send = _send(holder, "x", status=CampaignSend.Status.PENDING)
    open_request(erased, "erasure", requested_by="ügyfél", channel="email")
    event = Event.objects.create(type="campaign.send_due", tenant=holder.tenant,
                                 object_type="crm_campaigns.campaignsend",
                                 object_id=str(send.pk))
    context = DeliveryContext(event=event, plugin_id="crm_campaigns", tenant=holder.tenant,
                              settings={}, attempt=1, delivery_id=0)

    send_campaign_batch(context)  # no SMTP server: a send would fail loudly

    send.refresh_from_db()
    assert send.status == CampaignSend.Status.SKIPPED
    assert send.error == TOMBSTONED
    assert send.to_email == "" and send.message_id == ""
