"""Chatwoot conversations on the Krayin timeline and as leads; won leads -> franchise
tenants, exactly once, through the workflow push (live server) and the beat poll."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from apps.crm_plugin.krayin.lead_poll import poll_leads
from apps.crm_plugin.krayin.tasks import poll_leads_beat
from apps.crm_plugin.krayin.webhooks import SECRET_HEADER
from apps.crm_plugin.models import ProcessedOpportunity
from apps.plugin_manager.eventbus.outbox.recording import emit_event
from kgc_erp.tenants.models import Tenant
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for

from .helpers import (
    WEBHOOK_SECRET,
    activities_of,
    all_crm_deliveries_finished,
    client_for,
    control,
    crm_deliveries,
    leads,
    person_of,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def crm(worker, krayin, enable_krayin, settings):
    settings.CRM_SYNC_ON_ENABLE = False
    enable_krayin(krayin)
    return krayin


def _conversation(partner: Any, conversation_id: int, labels: list[str]) -> None:
    with transaction.atomic():
        emit_event("chatwoot.conversation_created", tenant_id=partner.tenant_id,
                   object_type="chatwoot.conversation", object_id=str(conversation_id),
                   payload={"account_id": 1, "contact_id": 5, "worklog_id": None,
                            "partner_id": partner.pk, "labels": labels})  # fmt: skip


def _franchises() -> list[Tenant]:
    return list(Tenant.objects.filter(kind=Tenant.Kind.FRANCHISE, name__contains="Vásárlási"))


def test_a_conversation_is_one_note_and_a_purchase_one_lead(crm) -> None:
    partner = PartnerFactory(name="Fekete Gábor", email="gabor@example.hu")
    _conversation(partner, 318, ["szerviz"])
    _conversation(partner, 319, ["ertekesites"])
    wait_for(lambda: len(crm_deliveries()) >= 3 and all_crm_deliveries_finished(),
             message="the deliveries")  # fmt: skip
    person = person_of(crm, partner.pk)
    assert person is not None
    notes = [a for a in activities_of(crm, person["id"]) if "Chatwoot" in str(a["title"])]
    assert sorted(a["title"] for a in notes) == ["[CW-318] Chatwoot beszélgetés",
                                                 "[CW-319] Chatwoot beszélgetés"]
    rows = leads(crm)
    assert len(rows) == 1
    assert rows[0]["title"].startswith("[CW-319]") and rows[0]["lead_pipeline_stage_id"] == 1
    assert rows[0]["person"]["id"] == person["id"]
    # A replayed event (at-least-once delivery) adds nothing.
    _conversation(partner, 319, ["ertekesites"])
    wait_for(lambda: len(crm_deliveries()) >= 4 and all_crm_deliveries_finished(),
             message="the replay")  # fmt: skip
    assert len(leads(crm)) == 1
    assert len([a for a in activities_of(crm, person["id"]) if "Chatwoot" in str(a["title"])]) == 2


def _status(partner: Any, conversation_id: int, status: str) -> None:
    with transaction.atomic():
        emit_event("chatwoot.conversation_status_changed", tenant_id=partner.tenant_id,
                   object_type="chatwoot.conversation", object_id=str(conversation_id),
                   payload={"account_id": 1, "conversation_id": conversation_id,
                            "status": status, "previous_status": "open"})  # fmt: skip


def test_a_resolved_conversation_is_one_note_per_resolution(crm) -> None:
    partner = PartnerFactory(name="Kis Éva", email="eva@example.hu")
    _conversation(partner, 501, ["szerviz"])
    _status(partner, 501, "pending")  # not a resolution: nothing
    _status(partner, 501, "resolved")
    wait_for(lambda: len(crm_deliveries()) >= 4 and all_crm_deliveries_finished(),
             message="the deliveries")  # fmt: skip
    person = person_of(crm, partner.pk)
    assert person is not None

    def resolutions() -> list[str]:
        return [str(a["title"]) for a in activities_of(crm, person["id"])
                if "lezárva" in str(a["title"])]  # fmt: skip

    (first,) = resolutions()
    assert first.startswith("[CW-501-R") and first.endswith("Chatwoot beszélgetés lezárva")
    # Reopened and resolved again: a second note; a conversation nobody is behind: none.
    _status(partner, 501, "open")
    _status(partner, 501, "resolved")
    _status(partner, 999, "resolved")
    wait_for(lambda: len(crm_deliveries()) >= 7 and all_crm_deliveries_finished(),
             message="the second resolution")  # fmt: skip
    assert len(resolutions()) == 2 and first in resolutions()
    assert {d.status for d in crm_deliveries()} == {"succeeded"}


def _lead(crm, partner: Any) -> dict[str, Any]:
    _conversation(partner, 400, ["ertekesites"])
    try:
        return wait_for(lambda: next(iter(leads(crm)), None), message="the lead", timeout=60)
    except AssertionError as exc:
        seen = [(d.event.type, d.status, d.attempts, d.last_error) for d in crm_deliveries()]
        raise AssertionError(f"{exc}; deliveries: {seen}") from exc


def test_a_won_lead_is_one_tenant_also_when_polled_twice(crm) -> None:
    partner = PartnerFactory(name="Vevő Ferenc", email="ferenc@example.hu")
    lead = _lead(crm, partner)
    with client_for(crm) as client:
        assert poll_leads(client).tenants_created == 0  # still "new"
        control(crm, "POST", f"leads/{lead['id']}/stage", json={"stage": "won"})
        assert poll_leads(client).tenants_created == 1
        assert poll_leads(client).tenants_created == 0
    poll_leads_beat()  # the beat's safety net polls again: still one
    assert len(_franchises()) == 1
    processed = ProcessedOpportunity.objects.get()
    assert processed.opportunity_id.startswith("krayin:") and processed.tenant is not None


def test_a_workflow_push_makes_the_tenant_without_waiting_for_the_beat(crm, live_server) -> None:
    partner = PartnerFactory(name="Vevő Ilona", email="ilona@example.hu")
    lead = _lead(crm, partner)
    control(crm, "POST", "webhooks", json={
        "url": f"{live_server.url}/webhooks/krayin/kgc-hq/",
        "headers": {SECRET_HEADER: WEBHOOK_SECRET}, "events": ["lead.update.after"],
    })  # fmt: skip
    control(crm, "POST", f"leads/{lead['id']}/stage", json={"stage": "won"})
    assert crm.wait_for_webhooks()
    tenant = wait_for(lambda: next(iter(_franchises()), None), message="the franchise tenant")
    assert tenant.modules_enabled == ["support", "crm"]
    deliveries = control(crm, "GET", "webhooks")
    assert any(d.get("status") == 200 for d in deliveries.get("deliveries", [])), deliveries


def test_a_push_with_a_wrong_secret_is_refused(crm, live_server) -> None:
    import requests

    response = requests.post(f"{live_server.url}/webhooks/krayin/kgc-hq/", json={"title": "x"},
                             headers={SECRET_HEADER: "wrong"}, timeout=10)
    assert response.status_code == 401


def test_remembered_lead_settings_that_went_stale_are_read_again(krayin) -> None:
    from apps.crm_plugin.krayin.leads import ensure_lead
    from apps.crm_plugin.krayin.partner_sync import push_partners

    partner = PartnerFactory(name="Elavult Ede", email="ede@example.hu")
    with client_for(krayin) as client:
        person_id = push_partners(client, [partner], maybe_done=False)[partner.pk]
        ensure_lead(client, tenant_id=partner.tenant_id, conversation_id="1",
                    person_id=person_id, partner_name="Elavult Ede", maybe_done=False)
        # A fresh install at the same URL: the remembered "Chatwoot" lead source is gone.
        krayin.reset()
        client.store.forget()  # the install's tokens died with it (a fresh one would wait)
        other = PartnerFactory(name="Friss Frida", email="frida@example.hu")
        person_id = push_partners(client, [other], maybe_done=False)[other.pk]
        ensure_lead(client, tenant_id=other.tenant_id, conversation_id="2",
                    person_id=person_id, partner_name="Friss Frida", maybe_done=False)
    rows = leads(krayin)
    assert len(rows) == 1 and rows[0]["title"].startswith("[CW-2]")
    failed = [e for e in control(krayin, "GET", "requests")["requests"]
              if e["path"] == "/api/v1/leads" and e["method"] == "POST" and e["status"] != 200]
    assert len(failed) == 1  # the stale attempt, then the one with fresh ids
