"""Erasure and access requests through the real pipeline with every connector on: the
opening transaction, the outbox, the shared Celery worker, the connectors' privacy
handlers, the Chatwoot, GLPI and Twenty or Krayin sandboxes (each test runs with both CRM
backends), the campaigns' send log, the bot API's audit, the inbox; then the tombstones at
the inbound doors."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import pytest
import requests
from django.test import Client

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.campaigns.queueing import queue_one
from apps.crm_plugin.campaigns.selection import Candidate
from apps.crm_plugin.krayin.reconcile import reconcile as krayin_reconcile
from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.crm_plugin.twenty.reconcile import reconcile
from apps.plugin_manager.eventbus.external_refs import find_ref, refs_for_external_id
from apps.plugin_manager.eventbus.models import (
    Delivery,
    DeliveryAttempt,
    InboundDelivery,
    SyncStatus,
)
from apps.plugin_manager.privacy.export_zip import SUMMARY_NAME, open_zip
from apps.plugin_manager.privacy.models import PrivacyRequest, PrivacyStep
from apps.plugin_manager.privacy.opening import open_request
from apps.plugin_manager.privacy.tombstones import is_tombstoned
from apps.support_plugin.bot_api.keys import issue_api_key
from apps.support_plugin.bot_api.scopes import Scope
from apps.support_plugin.chatwoot.webhooks import SIGNATURE
from apps.support_plugin.glpi.config import settings_for as glpi_settings_for
from apps.support_plugin.glpi.models import GlpiTicketLink
from apps.support_plugin.glpi.requester import ensure_requester
from apps.support_plugin.koko.models import KokoReply
from devstack.shared_folder import contracts
from kgc_erp.partners.models import ConsentChange, Partner
from kgc_erp.rentals.services import return_rental
from tests.crm_plugin.krayin.helpers import client_for as krayin_client_for
from tests.crm_plugin.krayin.helpers import control as krayin_control
from tests.crm_plugin.krayin.helpers import leads as krayin_leads
from tests.crm_plugin.krayin.helpers import person_of as krayin_person_of
from tests.crm_plugin.twenty.helpers import client_for, control, rows
from tests.factories import PartnerFactory, TenantFactory, start_rental
from tests.infrastructure.waiting import wait_for
from tests.support_plugin.chatwoot.helpers import ACCOUNT_ID, contacts_in, sandbox_json
from tests.support_plugin.glpi.conftest import connect_glpi
from tests.support_plugin.glpi.helpers import conversation_created, message_created
from tests.support_plugin.glpi.helpers import followups as glpi_followups
from tests.support_plugin.glpi.helpers import tickets as glpi_tickets

from .traces import (
    chatwoot_store_text,
    erp_traces,
    glpi_store_text,
    krayin_store_text,
    twenty_store_text,
)

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


def _crm_person(wired: dict[str, Any], partner_pk: int) -> dict[str, Any] | None:
    if wired.get("backend") == "krayin":
        return krayin_person_of(wired["krayin"], partner_pk)
    return _person(wired["twenty"], partner_pk)


def _synced(wired: dict[str, Any], partner: Partner) -> None:
    wait_for(lambda: (_contact(wired["chatwoot"], partner.pk) or {}).get("phone_number"),
             message="the Chatwoot contact")
    wait_for(lambda: _crm_person(wired, partner.pk), message="the CRM person")
    wait_for(lambda: InboundDelivery.objects.filter(event_type="contact_created").exists(),
             message="Chatwoot's contact_created in our inbox")
    _inbox_settled(wired["chatwoot"])


def _post(wired: dict[str, Any], payload: dict[str, Any]) -> requests.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    return requests.post(wired["url"], data=body, timeout=10, headers={
        "Content-Type": "application/json",
        "X-Chatwoot-Delivery": str(uuid.uuid4()),
        "X-Chatwoot-Timestamp": timestamp,
        "X-Chatwoot-Signature": SIGNATURE.sign(wired["secret"], timestamp, body),
    })


def _post_contact_created(wired: dict[str, Any], **fields: Any) -> requests.Response:
    path = contracts("chatwoot", "webhooks", "contact_created.json")
    payload = {**json.loads(path.read_text()), **fields}
    payload["account"] = {**payload["account"], "id": ACCOUNT_ID}
    return _post(wired, payload)


def _processed(count: int) -> bool:
    return InboundDelivery.objects.filter(status="processed").count() >= count


def _converse(wired: dict[str, Any], partner: Partner, conversation_id: int = 318) -> int:
    """The customer writes in Chatwoot about buying (signed webhooks into our inbox): a
    worklog, a GLPI ticket with a followup, in Krayin a timeline note and a lead."""
    contact = _contact(wired["chatwoot"], partner.pk)
    assert contact is not None
    sender = {"id": contact["id"], "name": partner.name, "email": EMAIL, "phone_number": PHONE,
              "identifier": str(partner.pk)}
    first = "Jó napot! Vennék egy új fúrógépet, mikor jöhetek?"
    for payload in (
        conversation_created(conversation_id, sender, message_id=90211, content=first,
                             labels=["ertekesites"]),
        message_created(conversation_id, sender, message_id=90211, content=first),
        message_created(conversation_id, sender, message_id=90212,
                        content="Holnap délelőtt jó lenne."),
    ):
        before = InboundDelivery.objects.filter(status="processed").count()
        assert _post(wired, payload).status_code == 200
        wait_for(lambda n=before: _processed(n + 1), timeout=120,
                 message=f"{payload['event']} processed")
    link = wait_for(lambda: GlpiTicketLink.objects.filter(
        tenant__slug="kgc-szeged", conversation_id=conversation_id,
        ticket_id__isnull=False).first(), message="the GLPI ticket")
    ticket_id = int(link.ticket_id or 0)
    wait_for(lambda: len(glpi_followups(wired["glpi"], ticket_id)) >= 1,
             message="the GLPI followups")
    if wired["backend"] == "krayin":
        wait_for(lambda: krayin_leads(wired["krayin"]), message="the Krayin lead")
    wait_for(lambda: not Delivery.objects.filter(status="pending").exclude(
        event__type="privacy.step_due").exists(), message="deliveries settled")
    return ticket_id


def _campaign_log(partner: Partner) -> CampaignSend:
    """What the campaigns keep: a sent reminder as rendered, a refused offer with the SMTP
    text quoting the address, and the consent history."""
    reminder, _ = Campaign.objects.get_or_create(kind=CampaignKind.EXPIRY_REMINDER,
                                                 defaults={"name": "Lejárati emlékeztető"})
    offer, _ = Campaign.objects.get_or_create(kind=CampaignKind.UPSELL,
                                              defaults={"name": "Ajánlat"})
    sent = CampaignSend.objects.create(
        campaign=reminder, tenant=partner.tenant, partner=partner, occasion_key="rental:7:x",
        status=CampaignSend.Status.SENT, to_email=EMAIL, subject="Holnap lejár a bérlése",
        body_text=f"Kedves {partner.name}! Kérdés esetén hívjon: {PHONE}",
        body_html=f"<p>Kedves {partner.name}!</p><p>{EMAIL}</p>", message_id="<1@kgc.example>")
    CampaignSend.objects.create(
        campaign=offer, tenant=partner.tenant, partner=partner, occasion_key="upsell:x",
        status=CampaignSend.Status.FAILED, to_email=EMAIL,
        error=f"SMTP 550: <{EMAIL}>: mailbox unavailable")
    ConsentChange.objects.create(partner=partner, marketing_consent=False,
                                 source="one_click:upsell")
    return sent


def _bot_lookup(store: Any) -> None:
    """The bot looked the customer up (its audit row and stored answer)."""
    key = issue_api_key(tenant=store, name="Kokó", scopes=(Scope.READ,))
    api = Client(headers={"Authorization": f"Bearer {key.raw_key}"})
    assert api.get(f"/api/v1/customers/by-phone/{PHONE}").status_code == 200


SYSTEMS = {"erp", "eventbus", "chatwoot", "bot_api", "twenty", "krayin", "glpi", "campaigns",
           "koko"}


def test_erasure_leaves_verified_receipts_and_no_trace(every_connector, store) -> None:
    wired = every_connector
    chatwoot, twenty, glpi = wired["chatwoot"], wired["twenty"], wired["glpi"]
    krayin, backend = wired["krayin"], wired["backend"]
    partner = PartnerFactory(tenant=store, name="Nagy Eszter", phone=PHONE, email=EMAIL)
    _synced(wired, partner)
    contact_id = _contact(chatwoot, partner.pk)["id"]  # type: ignore[index]
    ticket_id = _converse(wired, partner)
    sent = _campaign_log(partner)
    _bot_lookup(store)
    assert DIGITS in glpi_store_text(glpi)
    assert erp_traces(DIGITS, EMAIL), "the inbox holds the contact_created body"
    # Kokó saw the customer's messages (no KB, no team: escalated, its trouble recorded).
    assert KokoReply.objects.filter(conversation__partner=partner).count() == 2

    opened = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="maga az ügyfél",
                          channel=PrivacyRequest.Channel.EMAIL)
    request = _wait_done(opened.pk)

    steps = {s.system: s for s in request.steps.all()}
    assert set(steps) == SYSTEMS
    assert all(s.status == PrivacyStep.Status.DONE and s.verified_at for s in steps.values())
    assert steps["chatwoot"].action == "deleted"
    assert f"GET /contacts/{contact_id} -> 404" in steps["chatwoot"].evidence
    assert steps["glpi"].action == "deleted"
    assert f"Ticket/{ticket_id}" in steps["glpi"].evidence
    assert steps["campaigns"].action == "anonymised"
    if backend == "krayin":
        assert steps["krayin"].action == "deleted"
        assert steps["twenty"].action == "nothing_held"
    else:
        assert steps["twenty"].action == "deleted"
        assert steps["twenty"].external_id == kgc_partner_id(partner.pk)
        assert steps["krayin"].action == "nothing_held"
    assert steps["erp"].action == "anonymised"
    assert steps["koko"].action == "deleted" and not KokoReply.objects.exists()
    assert steps["eventbus"].action == "anonymised"
    for step in steps.values():  # receipts never carry the person's data
        assert DIGITS not in step.evidence and EMAIL not in step.evidence.lower()
    assert request.identifiers == "" and request.completed_at

    # No trace in the sandboxes, nor anywhere in the ERP's database.
    _inbox_settled(chatwoot)
    assert _contact(chatwoot, partner.pk) is None and _crm_person(wired, partner.pk) is None
    for state in (chatwoot_store_text(chatwoot.url), twenty_store_text(twenty.url),
                  glpi_store_text(glpi), krayin_store_text(krayin)):
        assert DIGITS not in state and EMAIL not in state
    assert not glpi_tickets(glpi) and not krayin_leads(krayin)
    assert erp_traces(DIGITS, EMAIL) == []
    # The send log keeps its occasion: the same reminder is never queued again.
    sent.refresh_from_db()
    assert sent.to_email == "" and sent.body_text == "" and sent.occasion_key == "rental:7:x"
    assert not queue_one(CampaignKind.EXPIRY_REMINDER, Candidate(
        partner_id=partner.pk, tenant_id=store.pk, email=EMAIL, marketing_consent=False,
        occasion_key="rental:7:x", context={}))
    assert CampaignSend.objects.filter(partner=partner).count() == 2

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
    if backend == "krayin":
        with krayin_client_for(krayin) as krayin_client:
            krayin_reconcile(krayin_client, store)
        assert krayin_person_of(krayin, partner.pk) is None
        assert DIGITS not in krayin_store_text(krayin)
    else:
        with client_for(twenty) as client:
            reconcile(client)
        assert _person(twenty, partner.pk) is None
        assert DIGITS not in twenty_store_text(twenty.url)


def test_a_failed_first_delete_is_retried_and_the_request_completes(every_connector,
                                                                    store) -> None:
    wired = every_connector
    chatwoot, twenty, glpi, krayin = (wired["chatwoot"], wired["twenty"], wired["glpi"],
                                      wired["krayin"])
    partner = PartnerFactory(tenant=store, name="Tóth Péter", phone=PHONE, email=EMAIL)
    _synced(wired, partner)
    ticket_id = _converse(wired, partner)
    sandbox_json(chatwoot, "POST", "/_sandbox/faults",
                 json={"mode": "500", "count": 1, "paths": r"/contacts/\d+$",
                       "methods": ["DELETE"]})
    glpi.set_fault("500", count=1, paths=r"^Ticket/\d+$")
    if wired["backend"] == "krayin":
        person = krayin_person_of(krayin, partner.pk)
        assert person is not None
        krayin_control(krayin, "POST", "faults", json={
            "mode": "500", "count": 1, "path": f"/api/v1/contacts/persons/{person['id']}"})
    else:
        control(twenty, "POST", "faults", json={"mode": "500", "count": 1})

    opened = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="ügyfél",
                          channel=PrivacyRequest.Channel.PHONE)
    request = _wait_done(opened.pk)

    assert sandbox_json(chatwoot, "GET", "/_sandbox/faults") == {"fault": None}
    assert glpi.state()["faults_injected"] >= 1
    if wired["backend"] == "krayin":
        assert krayin.sandbox.faults.injected == 1, "a DELETE of the person failed once"
    assert DeliveryAttempt.objects.exclude(outcome="succeeded").exists(), "a retry happened"
    steps = {s.system: s for s in request.steps.all()}
    assert all(s.status == PrivacyStep.Status.DONE for s in steps.values())
    assert steps["glpi"].attempts == 2, "the GLPI step failed once, then purged"
    assert _contact(chatwoot, partner.pk) is None and _crm_person(wired, partner.pk) is None
    assert not [t for t in glpi_tickets(glpi) if t["id"] == ticket_id]


def test_a_request_for_tenant_a_never_touches_tenant_b(every_connector, store,
                                                       enable_krayin) -> None:
    wired = every_connector
    glpi, krayin = wired["glpi"], wired["krayin"]
    other = TenantFactory(slug="kgc-pecs", name="KGC Pécs")
    connect_glpi(other, glpi)
    if wired["backend"] == "krayin":
        enable_krayin(krayin, tenant=other)
    partner = PartnerFactory(tenant=store, name="Nagy Eszter", phone=PHONE, email=EMAIL)
    namesake = PartnerFactory(tenant=other, name="Nagy Eszter", phone=PHONE,
                              email="eszter.pecs@example.hu")
    _synced(wired, partner)
    wait_for(lambda: _crm_person(wired, namesake.pk), message="tenant B's person")
    # Tenant B's GLPI requester, on the same GLPI, with the same mobile number.
    settings_b = glpi_settings_for(other)
    requester_b = ensure_requester(settings_b.client(other.pk), settings_b, other,
                                   partner=namesake, account_id=ACCOUNT_ID, contact={})
    assert requester_b is not None
    CampaignSend.objects.create(
        campaign=Campaign.objects.get_or_create(kind=CampaignKind.UPSELL,
                                                defaults={"name": "Ajánlat"})[0],
        tenant=other, partner=namesake, occasion_key="upsell:b",
        status=CampaignSend.Status.SENT, to_email="eszter.pecs@example.hu",
        body_text=f"Hívjon: {PHONE}")

    request = _wait_done(open_request(partner, "erasure", requested_by="ügyfél",
                                      channel="email").pk)

    assert all(s.status == "done" for s in request.steps.all())
    namesake.refresh_from_db()
    assert namesake.phone == PHONE and namesake.is_active
    assert namesake.email == "eszter.pecs@example.hu"
    assert _crm_person(wired, namesake.pk) is not None
    if wired["backend"] == "twenty":
        person = _person(wired["twenty"], namesake.pk)
        assert person is not None and person["phones"]["primaryPhoneNumber"] == DIGITS
        ref = find_ref("twenty", tenant=other, obj=namesake)
        assert ref is not None and ref.sync_status != SyncStatus.DELETED
    user_b = settings_b.client(other.pk).get_item("User", requester_b.id)
    assert user_b["mobile"] == PHONE
    assert CampaignSend.objects.get(tenant=other).body_text == f"Hívjon: {PHONE}"
    assert not is_tombstoned(other, phone=PHONE)
    assert is_tombstoned(store, phone=PHONE)


def test_access_request_exports_each_systems_real_data(every_connector, store) -> None:
    wired = every_connector
    chatwoot = wired["chatwoot"]
    partner = PartnerFactory(tenant=store, name="Nagy Eszter", phone=PHONE, email=EMAIL)
    _synced(wired, partner)
    return_rental(start_rental(partner))
    if wired["backend"] == "twenty":
        wait_for(lambda: rows(wired["twenty"], "rentalRecord"), message="the rental in Twenty")
    contact_id = _contact(chatwoot, partner.pk)["id"]  # type: ignore[index]
    sandbox_json(chatwoot, "POST", "/_sandbox/simulate/conversation_created",
                 json={"contact_id": contact_id, "content": "Mikor lesz kész a fűrészem?"})
    ticket_id = _converse(wired, partner, conversation_id=4711)
    _campaign_log(partner)

    request = _wait_done(open_request(partner, "access", requested_by="Nagy Eszter",
                                      channel="letter").pk)

    assert request.export_available
    archive = zipfile.ZipFile(io.BytesIO(open_zip(request.export_file or b"")))
    assert {f"{system}.json" for system in SYSTEMS} | {SUMMARY_NAME} <= set(archive.namelist())
    erp = json.loads(archive.read("erp.json"))
    assert erp["partner"]["email"] == EMAIL and len(erp["rentals"]) == 1
    support = json.loads(archive.read("chatwoot.json"))
    contact = support["contacts"][0]
    assert contact["contact"]["email"] == EMAIL
    messages = [m["content"] for c in contact["conversations"] for m in c["messages"]]
    assert "Mikor lesz kész a fűrészem?" in messages
    glpi_part = json.loads(archive.read("glpi.json"))
    [ticket] = glpi_part["tickets"]
    assert ticket["id"] == ticket_id
    assert any("Holnap délelőtt jó lenne." in f["content"] for f in ticket["followups"])
    assert glpi_part["users"][0]["mobile"] == PHONE
    assert EMAIL in [e["email"] for e in glpi_part["users"][0]["emails"]]
    campaigns = json.loads(archive.read("campaigns.json"))
    assert {s["status"] for s in campaigns["sends"]} == {"sent", "failed"}
    assert campaigns["consent_changes"][0]["source"] == "one_click:upsell"
    if wired["backend"] == "krayin":
        crm = json.loads(archive.read("krayin.json"))
        [entry] = crm["persons"]
        assert EMAIL in [e["value"] for e in entry["person"]["emails"]]
        assert len(entry["leads"]) == 1
        assert any("[CW-" in (a.get("title") or "") for a in entry["activities"])
    else:
        crm = json.loads(archive.read("twenty.json"))
        assert crm["person"]["emails"]["primaryEmail"] == EMAIL
        assert len(crm["rentalRecords"]) == 1
    assert json.loads(archive.read("eventbus.json"))["stored_webhooks_mentioning_the_person"] >= 1
    assert f"kérelem #{request.pk}" in archive.read(SUMMARY_NAME).decode()
    partner.refresh_from_db()
    assert partner.is_active and _contact(chatwoot, partner.pk) is not None
    assert glpi_tickets(wired["glpi"]), "an access request deletes nothing"
