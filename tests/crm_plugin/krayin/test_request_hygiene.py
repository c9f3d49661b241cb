"""NOTES.md's traps, checked on the wire: after a run of everything the connector does
(persons, organizations, notes, leads, the lead poll, the initial sync and the
reconciliation, the health check, an erasure), every request the sandbox logged
carried `Accept: application/json`, every person write `contact_numbers` and every lead
write `lead_pipeline_stage_id`."""

from __future__ import annotations

import re

import pytest

from apps.crm_plugin.erp_history import RecordKind
from apps.crm_plugin.krayin.initial_sync import run_sync, start_run
from apps.crm_plugin.krayin.lead_poll import poll_leads
from apps.crm_plugin.krayin.leads import ensure_lead
from apps.crm_plugin.krayin.partner_sync import push_history, push_partners
from apps.crm_plugin.krayin.persons import delete_person
from apps.crm_plugin.krayin.reconcile import reconcile
from kgc_erp.rentals.services import return_rental
from tests.factories import PartnerFactory, headquarters, start_rental

from .helpers import client_for, control

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_request_has_the_keys_krayin_needs(krayin) -> None:
    control(krayin, "DELETE", "requests")
    private = PartnerFactory(name="Kiss Béla", email="bela@example.hu")
    company = PartnerFactory(name="Fúró Kft.", company="Fúró Kft.", is_business=True,
                             email="", phone="")  # fmt: skip
    rental = start_rental(private)
    return_rental(rental)
    with client_for(krayin) as client:
        ids = push_partners(client, [private, company], maybe_done=False)
        push_partners(client, [private, company], maybe_done=True)  # updates
        push_history(client, RecordKind.RENTAL, [rental], maybe_done=True)
        ensure_lead(client, tenant_id=private.tenant_id, conversation_id="77",
                    person_id=ids[private.pk], partner_name="Kiss Béla", maybe_done=True)
        poll_leads(client)
        run_sync(client, start_run(headquarters()))
        reconcile(client, headquarters())
        client.health()
        delete_person(client, company.pk, company.tenant_id, company)
    log = control(krayin, "GET", "requests")
    entries = log["requests"] if isinstance(log, dict) else log
    assert entries, "the sandbox logged nothing"
    for entry in entries:
        assert entry["accept_json"], entry
        path, method = entry["path"], entry["method"]
        if method in ("POST", "PUT") and path.startswith("/api/v1/contacts/persons"):
            assert "contact_numbers" in entry["body_keys"], entry
        if method in ("POST", "PUT") and re.fullmatch(r"/api/v1/leads(/\d+)?", path):
            assert "lead_pipeline_stage_id" in entry["body_keys"], entry
        assert entry["status"] < 500, entry
    paths = {(e["method"], e["path"].split("?")[0]) for e in entries}
    assert ("POST", "/api/v1/leads") in paths and ("POST", "/api/v1/contacts/persons") in paths
    assert {("GET", "/api/v1/contacts/organizations"), ("GET", "/api/v1/activities"),
            ("GET", "/api/v1/get")} <= paths  # fmt: skip
    assert any(m == "DELETE" and p.startswith("/api/v1/contacts/persons/") for m, p in paths)
