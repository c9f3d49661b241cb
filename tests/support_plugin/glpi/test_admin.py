"""The GLPI mirror's admin (per conversation: ticket, last sync, error, retry) and its
beat schedule."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.eventbus.outbox.delivery import run_delivery
from apps.plugin_manager.eventbus.outbox.recording import emit_event
from apps.support_plugin.chatwoot import event_types as events
from apps.support_plugin.glpi.models import GlpiTicketLink
from kgc_erp.tenants.models import Tenant
from sandboxes.glpi.server import SandboxHandle

from .conftest import connect_glpi

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_delivery(store: Tenant, glpi: SandboxHandle) -> Delivery:
    """A conversation whose ticket could not be made: GLPI refuses the user token."""
    connect_glpi(store, glpi, glpi_user_token="not-the-token")
    with transaction.atomic():
        emit_event(events.CONVERSATION_OPENED, tenant_id=store.pk,
                   object_type=events.CONVERSATION_OBJECT_TYPE,
                   object_id=events.conversation_object_id(1, 318),
                   payload={"account_id": 1, "conversation_id": 318, "partner_id": None,
                            "worklog_id": None, "status": "open", "labels": [],
                            "first_message": {"id": 1, "content": "Segítség"},
                            "contact": {"id": 9, "name": "Teszt Elek"}})
    delivery = Delivery.objects.get(subscriber="glpi")
    assert run_delivery(delivery.pk) == "dead"
    return delivery


def test_changelist_shows_ticket_error_and_retries(admin_client, dead_delivery: Delivery,
                                                   glpi: SandboxHandle) -> None:
    link = GlpiTicketLink.objects.get()
    assert "GlpiAuthError" in link.last_error
    changelist = reverse("admin:support_glpi_glpiticketlink_changelist")
    page = admin_client.get(changelist)
    assert page.status_code == 200
    text = page.content.decode()
    assert "létrehozás folyamatban" in text and "GlpiAuthError" in text
    response = admin_client.post(changelist, {"action": "retry",
                                              "_selected_action": [link.pk]}, follow=True)
    assert "1 kézbesítés újra sorba állítva." in response.content.decode()
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == "pending"
    link.refresh_from_db()
    assert link.last_error == ""

    # fixed token, retried: the ticket exists and the admin links to it in GLPI
    connect_glpi(link.tenant, glpi)
    cache.clear()
    assert run_delivery(dead_delivery.pk) == "succeeded"
    link.refresh_from_db()
    detail = admin_client.get(reverse("admin:support_glpi_glpiticketlink_change",
                                      args=[link.pk]))
    assert f"/front/ticket.form.php?id={link.ticket_id}" in detail.content.decode()


def test_poll_is_scheduled_every_five_minutes_in_beat() -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="support_glpi.poll_tickets")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")
