"""Erasure and access requests through the real pipeline: the opening transaction, the
outbox, the shared Celery worker, the connectors' privacy handlers, the Chatwoot and Twenty
sandboxes; then the tombstones at the inbound doors."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import pytest
import requests

from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.crm_plugin.twenty.reconcile import reconcile
from apps.plugin_manager.eventbus.external_refs import find_ref, refs_for_external_id
from apps.plugin_manager.eventbus.models import DeliveryAttempt, InboundDelivery, SyncStatus
from apps.plugin_manager.privacy.export_zip import SUMMARY_NAME, open_zip
from apps.plugin_manager.privacy.models import PrivacyRequest, PrivacyStep
from apps.plugin_manager.privacy.opening import open_request
from apps.plugin_manager.privacy.tombstones import is_tombstoned
from apps.support_plugin.chatwoot.webhooks import SIGNATURE
from devstack.shared_folder import contracts
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.services import return_rental
from tests.crm_plugin.twenty.helpers import client_for, control, rows
from tests.factories import PartnerFactory, TenantFactory, start_rental
from tests.infrastructure.waiting import wait_for
from tests.support_plugin.chatwoot.helpers import ACCOUNT_ID, contacts_in, sandbox_json

from .traces import chatwoot_store_text, erp_traces, twenty_store_text

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+36301234567"
DIGITS = "301234567"  # in every notation: +36..., 06..., Twenty's national number
EMAIL = "nagy.eszter@example.hu"


def _contact(handle: Any, partner_pk: int) -> dict[str, Any] | None:
    return next((c for c in contacts_in(handle) if c["identifier"] == str(partner_pk)), None)


def _person(handle: Any, partner_pk: int) -> dict[str, Any] | None:
    key = kgc_partner_id(partner_pk)
    return next((p for p in rows(handle, "person", deleted=None)
                 if p.get("kgcPartnerId") == key), None)


def _finished(request_id: int) -> PrivacyRequest | None:
    request = PrivacyRequest.objects.get(pk=request_id)
    return request if request.status == PrivacyRequest.Status.DONE else None


def _wait_done(request_id: int) -> PrivacyRequest:
    try:
        return wait_for(lambda: _finished(request_id), timeout=60, message="request done")
    except Exception:
        for step in PrivacyStep.objects.filter(request_id=request_id):
            print(step.system, step.status, step.attempts, step.last_error)
        raise


def _inbox_settled(handle: Any) -> None:
    sandbox_json(handle, "POST", "/_sandbox/webhooks/flush")
    wait_for(lambda: not InboundDelivery.objects.filter(status="received").exists(),
             message="webhooks processed")


def _synced(wired: dict[str, Any], partner: Partner) -> None:
    wait_for(lambda: (_contact(wired["chatwoot"], partner.pk) or {}).get("phone_number"),
             message="the Chatwoot contact")
    wait_for(lambda: _person(wired["twenty"], partner.pk), message="the Twenty person")
    wait_for(lambda: InboundDelivery.objects.filter(event_type="contact_created").exists(),
             message="Chatwoot's contact_created in our inbox")
    _inbox_settled(wired["chatwoot"])


def _post_contact_created(wired: dict[str, Any], **fields: Any) -> requests.Response:
    path = contracts("chatwoot", "webhooks", "contact_created.json")
    payload = {**json.loads(path.read_text()), **fields}
    payload["account"] = {**payload["account"], "id": ACCOUNT_ID}
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    return requests.post(wired["url"], data=body, timeout=10, headers={
        "Content-Type": "application/json",
        "X-Chatwoot-Delivery": str(uuid.uuid4()),
        "X-Chatwoot-Timestamp": timestamp,
        "X-Chatwoot-Signature": SIGNATURE.sign(wired["secret"], timestamp, body),
    })


def test_erasure_leaves_verified_receipts_and_no_trace(wired, store) -> None:
    chatwoot, twenty = wired["chatwoot"], wired["twenty"]
    partner = PartnerFactory(tenant=store, name="Nagy Eszter", phone=PHONE, email=EMAIL)
    _synced(wired, partner)
    contact_id = _contact(chatwoot, partner.pk)["id"]  # type: ignore[index]
    assert erp_traces(DIGITS, EMAIL), "the inbox holds the contact_created body"

    opened = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="maga az ügyfél",
                          channel=PrivacyRequest.Channel.EMAIL)
    request = _wait_done(opened.pk)

    steps = {s.system: s for s in request.steps.all()}
    assert set(steps) == {"erp", "eventbus", "chatwoot", "bot_api", "twenty", "koko"}
    assert all(s.status == PrivacyStep.Status.DONE and s.verified_at for s in steps.values())
    assert steps["chatwoot"].action == "deleted"
    assert f"GET /contacts/{contact_id} -> 404" in steps["chatwoot"].evidence
    assert steps["twenty"].action == "deleted"
    assert steps["twenty"].external_id == kgc_partner_id(partner.pk)
    assert steps["erp"].action == "anonymised"
    assert steps["koko"].action == "nothing_held"  # no Kokó conversation of the partner
    assert steps["eventbus"].action == "anonymised"
    for step in steps.values():  # receipts never carry the person's data
        assert DIGITS not in step.evidence and EMAIL not in step.evidence.lower()
    assert request.identifiers == "" and request.completed_at

    # No trace in the sandboxes, nor anywhere in the ERP's database.
    _inbox_settled(chatwoot)
    assert _contact(chatwoot, partner.pk) is None and _person(twenty, partner.pk) is None
    for state in (chatwoot_store_text(chatwoot.url), twenty_store_text(twenty.url)):
        assert DIGITS not in state and EMAIL not in state
    assert erp_traces(DIGITS, EMAIL) == []

    # A contact_created for the erased phone arriving afterwards links nothing.
    partners_before = Partner.objects.count()
    response = _post_contact_created(wired, id=987654, phone_number=PHONE, email=EMAIL,
                                     identifier=None, name="Nagy Eszter")
    assert response.status_code == 200
    wait_for(lambda: InboundDelivery.objects.filter(
        event_type="contact_created", status="processed").count() >= 2,
        message="the late contact_created processed")
    assert not refs_for_external_id("chatwoot", 987654).exists()
    assert Partner.objects.count() == partners_before
    assert is_tombstoned(store, phone="06 30 123 4567") and is_tombstoned(store, email=EMAIL)

    # A reconcile run skips the erased (inactive, anonymised) partner: nothing is created.
    with client_for(twenty) as client:
        reconcile(client)
    assert _person(twenty, partner.pk) is None
    assert DIGITS not in twenty_store_text(twenty.url)


def test_a_failed_first_delete_is_retried_and_the_request_completes(wired, store) -> None:
    chatwoot, twenty = wired["chatwoot"], wired["twenty"]
    partner = PartnerFactory(tenant=store, name="Tóth Péter", phone="+36301239876",
                             email="toth.peter@example.hu")
    _synced(wired, partner)
    sandbox_json(chatwoot, "POST", "/_sandbox/faults",
                 json={"mode": "500", "count": 1, "paths": r"/contacts/\d+$",
                       "methods": ["DELETE"]})
    control(twenty, "POST", "faults", json={"mode": "500", "count": 1})

    opened = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="ügyfél",
                          channel=PrivacyRequest.Channel.PHONE)
    request = _wait_done(opened.pk)

    assert sandbox_json(chatwoot, "GET", "/_sandbox/faults") == {"fault": None}
    assert DeliveryAttempt.objects.exclude(outcome="succeeded").exists(), "a retry happened"
    steps = {s.system: s for s in request.steps.all()}
    assert steps["chatwoot"].status == PrivacyStep.Status.DONE
    assert steps["twenty"].status == PrivacyStep.Status.DONE
    assert _contact(chatwoot, partner.pk) is None and _person(twenty, partner.pk) is None


def test_a_request_for_tenant_a_never_touches_tenant_b(wired, store) -> None:
    twenty = wired["twenty"]
    other = TenantFactory(slug="kgc-pecs", name="KGC Pécs")
    partner = PartnerFactory(tenant=store, name="Nagy Eszter", phone=PHONE, email=EMAIL)
    namesake = PartnerFactory(tenant=other, name="Nagy Eszter", phone=PHONE,
                              email="eszter.pecs@example.hu")
    _synced(wired, partner)
    wait_for(lambda: _person(twenty, namesake.pk), message="tenant B's person")

    request = _wait_done(open_request(partner, "erasure", requested_by="ügyfél",
                                      channel="email").pk)

    assert all(s.status == "done" for s in request.steps.all())
    namesake.refresh_from_db()
    assert namesake.phone == PHONE and namesake.is_active
    assert namesake.email == "eszter.pecs@example.hu"
    person = _person(twenty, namesake.pk)
    assert person is not None and person["phones"]["primaryPhoneNumber"] == DIGITS
    ref = find_ref("twenty", tenant=other, obj=namesake)
    assert ref is not None and ref.sync_status != SyncStatus.DELETED
    assert not is_tombstoned(other, phone=PHONE)
    assert is_tombstoned(store, phone=PHONE)


def test_access_request_exports_each_systems_real_data(wired, store) -> None:
    chatwoot = wired["chatwoot"]
    partner = PartnerFactory(tenant=store, name="Nagy Eszter", phone=PHONE, email=EMAIL)
    _synced(wired, partner)
    return_rental(start_rental(partner))
    wait_for(lambda: rows(wired["twenty"], "rentalRecord"), message="the rental in Twenty")
    contact_id = _contact(chatwoot, partner.pk)["id"]  # type: ignore[index]
    sandbox_json(chatwoot, "POST", "/_sandbox/simulate/conversation_created",
                 json={"contact_id": contact_id, "content": "Mikor lesz kész a fűrészem?"})

    request = _wait_done(open_request(partner, "access", requested_by="Nagy Eszter",
                                      channel="letter").pk)

    assert request.export_available
    archive = zipfile.ZipFile(io.BytesIO(open_zip(request.export_file or b"")))
    assert {"erp.json", "eventbus.json", "chatwoot.json", "twenty.json", "bot_api.json",
            SUMMARY_NAME} <= set(archive.namelist())
    erp = json.loads(archive.read("erp.json"))
    assert erp["partner"]["email"] == EMAIL and len(erp["rentals"]) == 1
    support = json.loads(archive.read("chatwoot.json"))
    contact = support["contacts"][0]
    assert contact["contact"]["email"] == EMAIL
    messages = [m["content"] for c in contact["conversations"] for m in c["messages"]]
    assert "Mikor lesz kész a fűrészem?" in messages
    crm = json.loads(archive.read("twenty.json"))
    assert crm["person"]["emails"]["primaryEmail"] == EMAIL
    assert len(crm["rentalRecords"]) == 1
    assert json.loads(archive.read("eventbus.json"))["stored_webhooks_mentioning_the_person"] >= 1
    assert f"kérelem #{request.pk}" in archive.read(SUMMARY_NAME).decode()
    partner.refresh_from_db()
    assert partner.is_active and _contact(chatwoot, partner.pk) is not None
