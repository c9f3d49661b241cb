"""Partner -> Krayin person through the real pipeline: post_save -> outbox -> a real Celery
worker -> the backend dispatch -> the Krayin handler -> the Krayin sandbox."""

from __future__ import annotations

import threading

import pytest

from apps.crm_plugin.krayin.mappers import SUMMARY_TITLE, marker_email
from apps.plugin_manager.eventbus.models import Delivery
from kgc_erp.partners.services import erase_partner
from kgc_erp.rentals.services import return_rental
from tests.factories import PartnerFactory, start_rental
from tests.infrastructure.waiting import wait_for

from .helpers import (
    activities_of,
    all_crm_deliveries_finished,
    api,
    client_for,
    control,
    crm_deliveries,
    person_of,
    persons,
    state,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def crm(worker, krayin, enable_krayin, settings):
    settings.CRM_SYNC_ON_ENABLE = False
    enable_krayin(krayin)
    return krayin


def _summary(handle, person_id: int) -> str:
    """The aggregates note's text ("" while it is not there yet); never two of them."""
    notes = [a for a in activities_of(handle, person_id) if a["title"] == SUMMARY_TITLE]
    assert len(notes) <= 1, notes
    return str(notes[0]["comment"]) if notes else ""


def test_partner_create_update_history_and_erasure(crm) -> None:
    partner = PartnerFactory(name="Kovács János", email="janos@example.hu",
                             phone="+36301234567", tax_number="12345678-2-42")  # fmt: skip
    person = wait_for(lambda: person_of(crm, partner.pk), message="the person")
    assert person["name"] == "Kovács János"
    assert [e["value"] for e in person["emails"]] == ["janos@example.hu",
                                                      marker_email(partner.pk)]
    assert person["contact_numbers"] == [{"value": "+36301234567", "label": "work"}]
    assert "12345678" not in str(person)
    summary = wait_for(lambda: _summary(crm, person["id"]), message="the aggregates note")
    assert "Bérlések száma: 0" in summary and "Fizetési státusz: rendben" in summary
    assert "12345678" not in summary

    partner.email = "kovacs.janos@example.hu"
    partner.save()
    wait_for(lambda: (person_of(crm, partner.pk) or {}).get("emails", [{}])[0].get("value")
             == "kovacs.janos@example.hu", message="the update")  # fmt: skip

    rental = start_rental(partner)
    return_rental(rental)
    wait_for(lambda: any(rental.number in str(a["title"])
                         for a in activities_of(crm, person["id"])), message="the rental note")
    wait_for(lambda: "Bérlések száma: 1" in _summary(crm, person["id"]),
             message="the recomputed aggregates")
    wait_for(all_crm_deliveries_finished, message="every CRM delivery")

    erase_partner(partner)
    wait_for(lambda: person_of(crm, partner.pk) is None, message="the erasure")
    wait_for(all_crm_deliveries_finished, message="every CRM delivery")
    statuses = {(d.event.type, d.status, d.last_error) for d in crm_deliveries()}
    assert {status for _, status, _ in statuses} == {Delivery.Status.SUCCEEDED}, statuses
    assert len(persons(crm)) == 0


def test_an_existing_person_with_the_same_email_is_adopted(crm) -> None:
    existing = api(crm, "POST", "contacts/persons", json={
        "name": "Szabó Anna (kézzel)", "emails": [{"value": "anna@example.hu", "label": "work"}],
        "contact_numbers": [{"value": "+3612345678", "label": "work"}],
    })["data"]  # fmt: skip
    partner = PartnerFactory(name="Szabó Anna", email="Anna@Example.hu", phone="+36301112222")
    wait_for(all_crm_deliveries_finished, message="the delivery")  # also its summary note
    person = person_of(crm, partner.pk)
    assert person is not None and person["id"] == existing["id"]
    assert person["name"] == "Szabó Anna"
    assert len(persons(crm)) == 1


def test_a_lost_response_and_a_retried_delivery_still_make_one_person(crm) -> None:
    # The first aggregates note is created, but its answer is lost: the delivery fails
    # after the person exists, and the retry must neither duplicate the person nor the note.
    control(crm, "POST", "faults", json={"mode": "500", "count": 1, "after": True,
                                         "path": "/api/v1/activities"})  # fmt: skip
    partner = PartnerFactory(name="Tóth Péter", email="peter@example.hu")
    wait_for(all_crm_deliveries_finished, message="the retried delivery")
    delivery = crm_deliveries()[0]
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.attempts >= 2
    person = person_of(crm, partner.pk)
    assert person is not None and len(persons(crm)) == 1
    assert len([a for a in activities_of(crm, person["id"])
                if a["title"] == SUMMARY_TITLE]) == 1  # fmt: skip


def test_the_worker_and_another_process_share_one_token(crm) -> None:
    """Two processes of one Krayin user (the Celery worker delivering, this process calling
    meanwhile): one login between them, no revocation loop, every delivery succeeds."""
    errors: list[BaseException] = []
    stop = threading.Event()

    def meanwhile() -> None:
        try:
            with client_for(crm) as client:
                while not stop.is_set():
                    client.request("GET", "get")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=meanwhile)
    thread.start()
    try:
        partners = [PartnerFactory() for _ in range(6)]
        wait_for(lambda: len(crm_deliveries()) >= 6 and all_crm_deliveries_finished(),
                 message="the deliveries")  # fmt: skip
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    # Counted before reading the persons back (the helpers log in as the salesperson).
    assert state(crm)["login_count"] == 1
    assert {d.status for d in crm_deliveries()} == {Delivery.Status.SUCCEEDED}
    assert all(person_of(crm, p.pk) is not None for p in partners)

