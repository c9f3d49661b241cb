"""Inbound Twenty webhooks, really sent by the sandbox to a live Django server, stored by
the inbox and processed by a real Celery worker."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

import pytest
import requests

from apps.crm_plugin.models import ProcessedOpportunity
from apps.crm_plugin.twenty.inbound import DEFAULT_FRANCHISE_MODULES
from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.crm_plugin.twenty.models import CrmConflict
from apps.crm_plugin.twenty.webhooks import SIGNATURE as TWENTY_SIGNATURE
from apps.crm_plugin.twenty.webhooks import TwentySource
from apps.plugin_manager.eventbus.models import InboundDelivery
from devstack.shared_folder import contracts
from kgc_erp.tenants.models import Tenant
from tests.factories import PartnerFactory
from tests.infrastructure.waiting import wait_for

from .helpers import WEBHOOK_SECRET, all_crm_deliveries_finished, client_for, control

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VECTOR = contracts("twenty", "webhooks", "signature-test-vector.json")


@pytest.fixture
def crm(worker, workspace, enable_crm, settings, live_server):
    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)
    # Registered on /metadata as an operator (or Twenty's UI) would.
    mutation = ("mutation Hook($input: CreateWebhookInput!) "
                "{ createWebhook(input: $input) { id } }")  # fmt: skip
    answer = requests.post(f"{workspace.url}/metadata", headers=workspace.headers, timeout=10,
                           json={"query": mutation, "variables": {"input": {
                               "targetUrl": f"{live_server.url}/webhooks/twenty/",
                               "operations": ["opportunity.*", "person.updated"],
                               "secret": WEBHOOK_SECRET}}})  # fmt: skip
    assert "errors" not in answer.json(), answer.json()
    return workspace


def _sent(handle, event_name: str) -> list[dict]:
    assert handle.wait_for_webhooks(15)
    return [d for d in control(handle, "GET", "webhooks")["deliveries"]
            if d["eventName"] == event_name]  # fmt: skip


def _post(url: str, body: bytes, secret: str = WEBHOOK_SECRET) -> requests.Response:
    timestamp = str(int(time.time() * 1000))
    return requests.post(url, data=body, timeout=10, headers={
        "Content-Type": "application/json",
        "X-Twenty-Webhook-Timestamp": timestamp,
        "X-Twenty-Webhook-Signature": TWENTY_SIGNATURE.sign(secret, timestamp, body),
        "X-Twenty-Webhook-Nonce": secrets.token_hex(16),
    })  # fmt: skip


def _all_processed() -> bool:
    deliveries = list(InboundDelivery.objects.filter(source="twenty"))
    return bool(deliveries) and all(
        d.status in (InboundDelivery.Status.PROCESSED, InboundDelivery.Status.IGNORED)
        for d in deliveries
    )


def test_a_won_opportunity_creates_one_tenant_even_when_the_webhook_arrives_three_times(
    crm, live_server
) -> None:
    created = control(crm, "POST", "opportunity",
                      json={"name": "Debreceni Gépkölcsönző Kft.", "stage": "MEETING"})
    opportunity_id = created["record"]["id"]
    control(crm, "POST", "opportunity", json={"id": opportunity_id, "stage": "CUSTOMER"})
    won = [d for d in _sent(crm, "opportunity.updated") if d["recordId"] == opportunity_id]
    assert len(won) == 1 and won[0]["status"] == 200
    wait_for(lambda: Tenant.objects.filter(name="Debreceni Gépkölcsönző Kft.").exists(),
             message="the franchise tenant")  # fmt: skip

    for _ in range(2):  # the same event twice more (a new nonce each: not a replay)
        response = _post(f"{live_server.url}/webhooks/twenty/", won[0]["body"].encode())
        assert response.status_code == 200
    wait_for(lambda: InboundDelivery.objects.filter(event_type="opportunity.updated").count() == 3)
    wait_for(_all_processed, message="the inbox")

    tenant = Tenant.objects.get(name="Debreceni Gépkölcsönző Kft.")
    assert tenant.kind == Tenant.Kind.FRANCHISE and tenant.slug == "debreceni-gepkolcsonzo-kft"
    assert tenant.modules_enabled == list(DEFAULT_FRANCHISE_MODULES)
    assert ProcessedOpportunity.objects.get().tenant == tenant
    assert Tenant.objects.filter(kind=Tenant.Kind.FRANCHISE).count() == 1


def test_a_bad_signature_is_refused(crm, live_server) -> None:
    body = json.dumps({"eventName": "opportunity.updated",
                       "record": {"id": "x", "stage": "CUSTOMER", "name": "Hamis"}}).encode()
    response = _post(f"{live_server.url}/webhooks/twenty/", body, secret="not-the-secret")
    assert response.status_code == 401
    time.sleep(0.5)
    assert not Tenant.objects.filter(name="Hamis").exists()
    assert not ProcessedOpportunity.objects.exists()


def test_the_contract_signature_vector_passes() -> None:
    vector = json.loads(VECTOR.read_text(encoding="utf-8"))
    raw = vector["rawBody"].encode()
    signed_at = dt.datetime.fromtimestamp(
        int(vector["headers"]["X-Twenty-Webhook-Timestamp"]) / 1000, tz=dt.UTC
    )
    verification = TwentySource().verify(vector["headers"], raw, vector["secret"], signed_at)
    assert verification.ok
    assert not TwentySource().verify(vector["headers"], raw + b" ", vector["secret"], signed_at).ok


def test_a_hand_edit_of_a_master_field_is_logged_as_a_conflict_not_written(crm) -> None:
    partner = PartnerFactory(name="Kovács János")
    from apps.crm_plugin.twenty.people import push_partners

    with client_for(crm) as client:
        person = push_partners(client, [partner])[0]
    # partner.created also went through the pipeline: our own API writes echo back as
    # person.updated (updatedBy.source API), which must not count as conflicts.
    wait_for(all_crm_deliveries_finished, message="partner.created")
    # A user edits the name (ERP-owned) and then the job title (CRM-owned) in Twenty.
    control(crm, "PATCH", f"records/person/{person['id']}",
            json={"data": {"name": {"firstName": "Jani", "lastName": "Kovács"}}})
    control(crm, "PATCH", f"records/person/{person['id']}",
            json={"data": {"jobTitle": "Ügyvezető"}})
    updates = _sent(crm, "person.updated")
    manual = [u for u in updates if '"source":"MANUAL"' in u["body"]]
    assert len(manual) == 2 and len(updates) > 2
    wait_for(lambda: InboundDelivery.objects.filter(event_type="person.updated").count()
             == len(updates))  # fmt: skip
    wait_for(_all_processed, message="the inbox")

    conflict = CrmConflict.objects.get()
    assert conflict.partner == partner and conflict.kgc_partner_id == kgc_partner_id(partner.pk)
    assert conflict.fields == ["name"]
    assert conflict.remote_values["name"]["firstName"] == "Jani"
    assert conflict.changed_by == "Sandbox User"
    partner.refresh_from_db()
    assert partner.name == "Kovács János"  # never written back to the ERP
