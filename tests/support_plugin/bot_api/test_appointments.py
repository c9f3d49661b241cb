"""POST service/appointments: opening hours, double booking, Idempotency-Key."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from apps.plugin_manager.models import PluginState
from apps.support_plugin.bot_api.keys import IssuedKey, issue_api_key
from apps.support_plugin.bot_api.models import IdempotencyRecord
from apps.support_plugin.bot_api.scopes import Scope
from kgc_erp.service.models import Appointment
from kgc_erp.tenants.models import Tenant
from tests.factories import PartnerFactory, headquarters, open_worklog

from .helpers import BotClient, next_weekday

URL = "/api/v1/service/appointments"


@pytest.fixture
def customer(hq: Tenant):
    return PartnerFactory(name="Nagy Péter", phone="+36301234567")


def test_books_a_free_slot(write_api: BotClient, customer) -> None:
    starts = next_weekday(0, 10)
    worklog = open_worklog(customer)

    response = write_api.post(URL, {"customer_id": customer.pk, "starts_at": starts.isoformat(),
                                    "worklog_number": worklog.number, "note": "Láncfűrész"})

    assert response.status_code == 201, response.content
    body = response.json()
    appointment = Appointment.objects.get()
    assert body == {
        "id": appointment.pk,
        "customer_id": customer.pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(minutes=30)).isoformat(),
        "worklog_number": worklog.number,
        "note": "Láncfűrész",
    }
    assert appointment.starts_at == starts
    assert appointment.tenant == customer.tenant
    assert appointment.worklog == worklog


def test_naive_time_is_read_as_store_local_time(write_api: BotClient, customer) -> None:
    starts = next_weekday(5, 8, 30)  # Saturday 8:30

    response = write_api.post(URL, {"customer_id": customer.pk,
                                    "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S")})

    assert response.status_code == 201, response.content
    assert Appointment.objects.get().starts_at == starts


def test_double_booking_is_refused(write_api: BotClient, customer) -> None:
    starts = next_weekday(1, 14, 30)
    other = PartnerFactory()
    first = write_api.post(URL, {"customer_id": customer.pk, "starts_at": starts.isoformat()})

    second = write_api.post(URL, {"customer_id": other.pk, "starts_at": starts.isoformat()})

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json() == {
        "code": "slot_taken",
        "detail": "Ez az időpont már foglalt. Kérjük, válasszon másik időpontot.",
    }
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("starts", "reason"),
    [
        (lambda: next_weekday(6, 10), "Erre a napra nem lehet foglalni"),  # Sunday
        (lambda: next_weekday(2, 6, 30), "nyitvatartáson kívül"),  # before opening
        (lambda: next_weekday(2, 16, 30), None),  # the last weekday slot is fine
        (lambda: next_weekday(2, 17, 0), "nyitvatartáson kívül"),  # closing time
        (lambda: next_weekday(5, 11, 30), None),  # the last Saturday slot
        (lambda: next_weekday(5, 12, 0), "nyitvatartáson kívül"),
        (lambda: next_weekday(3, 10, 15), "egész vagy fél órára"),
        (lambda: timezone.now() - dt.timedelta(days=1), "Múltbeli"),
        (lambda: next_weekday(0, 10, weeks_ahead=30), "180 nappal előre"),
    ],
)
def test_opening_hours_and_slot_grid(write_api: BotClient, customer,
                                     starts: Callable[[], dt.datetime], reason: str | None) -> None:
    response = write_api.post(URL, {"customer_id": customer.pk,
                                    "starts_at": starts().isoformat()})

    if reason is None:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert reason in response.json()["errors"]["starts_at"][0]


def test_unknown_or_foreign_customer_and_worklog(write_api: BotClient, customer,
                                                 franchise: Tenant) -> None:
    foreign = PartnerFactory(tenant=franchise)
    foreign_worklog = open_worklog(foreign)
    starts = next_weekday(0, 9).isoformat()

    unknown = write_api.post(URL, {"customer_id": 999999, "starts_at": starts})
    other_tenant = write_api.post(URL, {"customer_id": foreign.pk, "starts_at": starts})
    bad_worklog = write_api.post(URL, {"customer_id": customer.pk, "starts_at": starts,
                                       "worklog_number": foreign_worklog.number})
    malformed_worklog = write_api.post(URL, {"customer_id": customer.pk, "starts_at": starts,
                                             "worklog_number": "nem-munkalap"})

    assert unknown.status_code == other_tenant.status_code == 400
    assert unknown.json() == other_tenant.json()
    assert unknown.json()["errors"] == {"customer_id": ["Nincs ilyen ügyfél."]}
    assert bad_worklog.status_code == malformed_worklog.status_code == 400
    assert "worklog_number" in bad_worklog.json()["errors"]
    assert "worklog_number" in malformed_worklog.json()["errors"]
    assert not Appointment.objects.exists()


def test_malformed_bodies_are_4xx(write_api: BotClient) -> None:
    not_json = write_api.client.post(URL, "{nem json", content_type="application/json",
                                     headers={"Authorization": f"Bearer {write_api.raw_key}"})
    form = write_api.client.post(URL, {"customer_id": 1},
                                 headers={"Authorization": f"Bearer {write_api.raw_key}"})
    a_list = write_api.post(URL, [1, 2])
    empty = write_api.post(URL, {})

    assert not_json.status_code == 400
    assert not_json.json()["code"] == "parse_error"
    assert form.status_code == 415
    assert form.json()["code"] == "unsupported_media_type"
    assert a_list.status_code == 400
    assert empty.status_code == 400
    assert set(empty.json()["errors"]) == {"customer_id", "starts_at"}


# --- idempotency --------------------------------------------------------------------------------


def test_same_idempotency_key_replays_the_first_answer(write_api: BotClient, customer) -> None:
    body = {"customer_id": customer.pk, "starts_at": next_weekday(4, 11).isoformat()}

    first = write_api.post(URL, body, **{"Idempotency-Key": "koko-8f14e45f"})
    again = write_api.post(URL, body, **{"Idempotency-Key": "koko-8f14e45f"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_422(write_api: BotClient, customer) -> None:
    write_api.post(URL, {"customer_id": customer.pk, "starts_at": next_weekday(4, 11).isoformat()},
                   **{"Idempotency-Key": "koko-1"})

    response = write_api.post(
        URL, {"customer_id": customer.pk, "starts_at": next_weekday(4, 12).isoformat()},
        **{"Idempotency-Key": "koko-1"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Appointment.objects.count() == 1


def test_failed_request_does_not_burn_the_key(write_api: BotClient, customer) -> None:
    sunday = {"customer_id": customer.pk, "starts_at": next_weekday(6, 10).isoformat()}
    monday = {"customer_id": customer.pk, "starts_at": next_weekday(0, 10).isoformat()}

    refused = write_api.post(URL, sunday, **{"Idempotency-Key": "koko-2"})
    retried = write_api.post(URL, monday, **{"Idempotency-Key": "koko-2"})

    assert refused.status_code == 400
    assert retried.status_code == 201


def test_idempotency_survives_key_rotation(write_api: BotClient, write_key: IssuedKey,
                                           customer) -> None:
    from apps.support_plugin.bot_api.keys import rotate_api_key

    body = {"customer_id": customer.pk, "starts_at": next_weekday(2, 9).isoformat()}
    first = write_api.post(URL, body, **{"Idempotency-Key": "koko-3"})
    successor = rotate_api_key(write_key.api_key)

    again = BotClient(successor.raw_key).post(URL, body, **{"Idempotency-Key": "koko-3"})

    assert again.json() == first.json()
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("bad_key", ["", "x" * 256, "ékezetes-kulcs"])
def test_malformed_idempotency_key_is_400(write_api: BotClient, customer, bad_key: str) -> None:
    body = {"customer_id": customer.pk, "starts_at": next_weekday(2, 9).isoformat()}

    response = write_api.post(URL, body, **{"Idempotency-Key": bad_key})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_with_one_key_book_once() -> None:
    PluginState.objects.update_or_create(plugin_id="support", tenant=None,
                                         defaults={"enabled": True})
    customer = PartnerFactory()
    raw_key = issue_api_key(tenant=headquarters(), name="bot",
                            scopes=(Scope.READ, Scope.WRITE)).raw_key
    body = {"customer_id": customer.pk, "starts_at": next_weekday(3, 15).isoformat()}
    barrier = threading.Barrier(8)
    answers: list[tuple[int, dict]] = []

    def send() -> None:
        try:
            barrier.wait()
            response = BotClient(raw_key).post(URL, body, **{"Idempotency-Key": "koko-race"})
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _ in answers} == {201}
    assert len({body["id"] for _, body in answers}) == 1
    assert Appointment.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
