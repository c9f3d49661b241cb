"""Every call is audited, personal data never reaches the log, GDPR erasure scrubs the rest."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.support_plugin.bot_api.keys import IssuedKey
from apps.support_plugin.bot_api.models import ApiCallLog, IdempotencyRecord
from apps.support_plugin.bot_api.tasks import purge_expired_records_task
from kgc_erp.partners.services import erase_partner
from tests.factories import PartnerFactory, start_rental

from .helpers import BotClient


def _next_monday_10() -> str:
    today = timezone.localdate()
    day = today + dt.timedelta(days=(0 - today.weekday()) % 7 + 7)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10))).isoformat()


def test_every_call_is_logged_with_key_tenant_endpoint_object_and_status(
    api: BotClient, read_key: IssuedKey
) -> None:
    partner = PartnerFactory(phone="+36301234567")
    rental = start_rental(partner)

    api.get("/api/v1/customers/by-phone/06 30 123 4567", **{"X-Request-ID": "req-1"})
    api.get(f"/api/v1/rentals/{rental.number}/status")
    api.get("/api/v1/rentals/R-2026-9999/status")
    BotClient(None).get(f"/api/v1/rentals/{rental.number}/status")

    by_phone, rental_ok, rental_missing, anonymous = ApiCallLog.objects.order_by("id")
    assert by_phone.api_key == read_key.api_key
    assert by_phone.key_prefix == read_key.api_key.prefix
    assert by_phone.tenant == partner.tenant
    assert (by_phone.method, by_phone.endpoint, by_phone.status_code) == (
        "GET", "customers.by_phone", 200)
    assert (by_phone.object_type, by_phone.object_ref, by_phone.partner_id) == (
        "partner", str(partner.pk), partner.pk)
    assert by_phone.duration_ms > 0
    assert by_phone.request_id == "req-1"
    assert (rental_ok.object_ref, rental_ok.partner_id, rental_ok.status_code) == (
        rental.number, partner.pk, 200)
    assert rental_ok.path == f"/api/v1/rentals/{rental.number}/status"
    assert (rental_missing.status_code, rental_missing.error_code) == (404, "not_found")
    assert rental_missing.partner_id is None
    assert (anonymous.api_key, anonymous.tenant, anonymous.status_code) == (None, None, 401)


def test_phone_numbers_and_names_never_reach_the_log(api: BotClient) -> None:
    PartnerFactory(phone="+36301234567", name="Nagy Péter")

    api.get("/api/v1/customers/by-phone/+36 30 123 4567")
    api.get("/api/v1/customers/by-phone/06309999999")  # unknown: no partner id either
    api.get("/api/v1/customers/by-phone/nem-szam")
    api.get("/api/v1/customers/duplicates", {"name": "Nagy Péter", "phone": "06301234567",
                                             "email": "nagy@example.hu"})

    rows = list(ApiCallLog.objects.order_by("id").values())
    assert [row["path"] for row in rows[:3]] == ["/api/v1/customers/by-phone/***"] * 3
    assert rows[3]["query"] == "name=%2A%2A%2A&phone=%2A%2A%2A&email=%2A%2A%2A"
    stored = repr(rows)
    for secret in ("1234567", "9999999", "nem-szam", "Nagy", "nagy@example"):
        assert secret not in stored


def test_erasure_scrubs_the_partners_audit_rows_and_idempotent_answers(
    write_api: BotClient,
) -> None:
    partner = PartnerFactory(phone="+36301234567")
    bystander = PartnerFactory(phone="+36305554433")
    write_api.get("/api/v1/customers/by-phone/06301234567", **{"X-Request-ID": "chatwoot-77"})
    write_api.get("/api/v1/customers/by-phone/06305554433", **{"X-Request-ID": "chatwoot-78"})
    booked = write_api.post("/api/v1/service/appointments",
                            {"customer_id": partner.pk, "starts_at": _next_monday_10(),
                             "note": "Hívja vissza a +36301234567 számon"},
                            **{"Idempotency-Key": "koko-gdpr"})
    assert booked.status_code == 201
    assert IdempotencyRecord.objects.filter(partner_id=partner.pk).exists()

    erase_partner(partner)

    rows = ApiCallLog.objects.filter(partner_id=partner.pk)
    assert rows.count() == 2  # the calls stay on record, as ids
    assert set(rows.values_list("request_id", "query")) == {("", "")}
    assert not IdempotencyRecord.objects.filter(partner_id=partner.pk).exists()
    kept = ApiCallLog.objects.get(partner_id=bystander.pk)
    assert kept.request_id == "chatwoot-78"
    # After erasure the customer is simply unknown to the bot.
    assert write_api.get("/api/v1/customers/by-phone/06301234567").status_code == 404


def test_purge_drops_old_idempotency_records_and_audit_rows(api: BotClient, hq) -> None:
    api.get("/api/v1/rentals/R-2026-0001/status")
    api.get("/api/v1/rentals/R-2026-0002/status")
    old_call, new_call = ApiCallLog.objects.order_by("id")
    now = timezone.now()
    ApiCallLog.objects.filter(pk=old_call.pk).update(created_at=now - dt.timedelta(days=366))
    IdempotencyRecord.objects.create(tenant=hq, key="old", endpoint="x", request_hash="h",
                                     created_at=now - dt.timedelta(hours=25))
    IdempotencyRecord.objects.create(tenant=hq, key="new", endpoint="x", request_hash="h")

    purged = purge_expired_records_task()

    assert purged == {"idempotency_records": 1, "audit_rows": 1}
    assert list(ApiCallLog.objects.values_list("pk", flat=True)) == [new_call.pk]
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
