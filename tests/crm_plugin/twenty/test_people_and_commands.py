"""Person upserts with the ERP's non-unique e-mails, the connect command (settings and
webhook registration, idempotent), the GDPR admin action and the nightly beat row."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.crm_plugin.twenty.people import push_partners
from apps.plugin_manager.models import PluginActionRun
from apps.plugin_manager.runtime import get_plugin_settings, is_enabled
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for

from .helpers import API_KEY, client_for, control, rows

pytestmark = pytest.mark.django_db


def test_partners_sharing_an_email_get_a_person_each(workspace) -> None:
    first = PartnerFactory(name="Kiss Anna", email="iroda@example.hu")
    second = PartnerFactory(name="Kiss Béla", email="iroda@example.hu")
    alone = PartnerFactory(name="Nagy Ödön", email="odon@example.hu")
    with client_for(workspace) as client:
        push_partners(client, [first])
        push_partners(client, [second, alone])
        push_partners(client, [first, second])  # again: still two people, no takeover
    people = {p["kgcPartnerId"]: p for p in rows(workspace, "person")}
    assert len(people) == 3
    for partner in (first, second):
        emails = people[kgc_partner_id(partner.pk)]["emails"]
        assert emails["primaryEmail"] == "" and emails["additionalEmails"] == ["iroda@example.hu"]
    assert people[kgc_partner_id(alone.pk)]["emails"]["primaryEmail"] == "odon@example.hu"


def test_connect_command_stores_settings_and_registers_the_webhook_once(
    twenty, settings
) -> None:
    settings.CRM_SYNC_ON_ENABLE = False
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    out = StringIO()
    for _ in range(2):
        call_command("crm_connect_twenty", "--api-url", twenty.url + "/", "--api-key", API_KEY,
                     "--webhook-secret", "s3cret", "--enable", stdout=out)  # fmt: skip
    hooks = control(twenty, "GET", "webhooks")["webhooks"]
    assert len(hooks) == 1
    assert hooks[0]["targetUrl"] == "http://127.0.0.1:8000/webhooks/twenty/"
    assert hooks[0]["secret"] == "s3cret"
    assert set(hooks[0]["operations"]) == {"opportunity.created", "opportunity.updated",
                                           "person.updated"}  # fmt: skip
    stored = get_plugin_settings("crm", None)
    assert stored["crm_api_url"] == twenty.url and stored["crm_api_key"] == API_KEY
    assert is_enabled("crm", None)


def test_gdpr_export_is_a_permission_checked_background_action(
    workspace, enable_crm, settings, admin_client, worker
) -> None:
    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    partner = PartnerFactory(name="Tóth Béla")
    with client_for(workspace) as client:
        push_partners(client, [partner])
    response = admin_client.post(
        reverse("admin:partners_partner_changelist"),
        {"action": "crm_gdpr_export_twenty", "_selected_action": [partner.pk]},
        follow=True,
    )
    assert "elindult a háttérben" in response.content.decode()
    run = PluginActionRun.objects.get(action="gdpr_export_twenty")
    assert run.parameters == {"object_ids": [partner.pk]}
    wait_for(lambda: PluginActionRun.objects.get(pk=run.pk).is_finished, timeout=30)

    download = admin_client.get(reverse("admin:plugin_manager_run_result", args=[run.pk]))
    assert download["Content-Type"].startswith("application/json")
    document = json.loads(download.content)
    assert document["person"]["name"] == {"firstName": "Béla", "lastName": "Tóth"}
    assert document["rentalRecords"] == []


def test_gdpr_export_is_offered_only_with_its_permission(client, enable_crm, workspace) -> None:
    enable_crm(workspace)
    clerk = get_user_model().objects.create_user("pult", password="x", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_partner",
                                                                          "change_partner"]))
    client.force_login(clerk)
    page = client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert "crm_gdpr_export_twenty" not in page
    clerk.user_permissions.add(Permission.objects.get(codename="export_crm_data"))
    clerk = get_user_model().objects.get(pk=clerk.pk)  # fresh permission cache
    client.force_login(clerk)
    page = client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert "crm_gdpr_export_twenty" in page


def test_the_nightly_reconciliation_is_scheduled() -> None:
    task = PeriodicTask.objects.get(task="crm_plugin.twenty.nightly_reconcile")
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")
