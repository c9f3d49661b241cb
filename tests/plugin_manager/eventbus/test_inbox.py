"""The inbound webhook endpoint: each outcome and its status code, against real payloads."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
import redis
from django.test import Client

from apps.crm_plugin.twenty.webhooks import SIGNATURE as TWENTY_SIGNATURE
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.dispatch import background
from apps.plugin_manager.eventbus.external_refs import refs_for_external_id
from apps.plugin_manager.eventbus.inbox.processing import process_inbound_delivery
from apps.plugin_manager.eventbus.manual_retry import retry_inbound
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE

from .contracts import chatwoot_webhook, twenty_test_vector, twenty_webhook
from .helpers import enable_gamma

pytestmark = pytest.mark.django_db

CW_SECRET = "Xq2v7hR9kLm3pT8wZc5nB1dF"
TWENTY_SECRET = "4f1d2c3b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3"
Status = InboundDelivery.Status


@pytest.fixture
def gamma(tenant):
    enable_gamma(
        "http://127.0.0.1:9/hook",
        chatwoot_secret=CW_SECRET,
        chatwoot_account_id=3,
        twenty_secret=TWENTY_SECRET,
    )
    return tenant


def chatwoot_headers(body: bytes, *, ts: int | None = None, delivery: str | None = None,
                     secret: str = CW_SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    headers = {
        "X-Chatwoot-Signature": CHATWOOT_SIGNATURE.sign(secret, ts, body),
        "X-Chatwoot-Timestamp": str(ts),
    }
    if delivery != "":
        headers["X-Chatwoot-Delivery"] = delivery or str(uuid.uuid4())
    return headers


def twenty_headers(body: bytes, secret: str = TWENTY_SECRET) -> dict[str, str]:
    ts = int(time.time() * 1000)
    return {
        "X-Twenty-Webhook-Timestamp": str(ts),
        "X-Twenty-Webhook-Signature": TWENTY_SIGNATURE.sign(secret, ts, body),
        "X-Twenty-Webhook-Nonce": uuid.uuid4().hex,
    }


def post(client: Client, url: str, body: bytes, headers: dict[str, str]):
    return client.post(url, data=body, content_type="application/json", headers=headers)


CW_URL = "/webhooks/gamma-chatwoot/franchise-gyor/"
TWENTY_URL = "/webhooks/gamma-twenty/"


def test_valid_chatwoot_webhook_is_stored_acknowledged_and_processed(client, gamma) -> None:
    body = chatwoot_webhook("conversation_created")
    headers = chatwoot_headers(body, delivery="5d1c0e6a-1f7b-4bb6-8f5e-2f1a9c3d7e20")
    response = post(client, CW_URL, body, headers)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}

    stored = InboundDelivery.objects.get()
    assert (stored.source, stored.tenant, stored.event_type, stored.status) == (
        "gamma-chatwoot", gamma, "conversation_created", Status.RECEIVED,
    )
    assert bytes(stored.raw_body) == body  # the raw bytes, not a re-serialisation
    assert stored.delivery_id == "5d1c0e6a-1f7b-4bb6-8f5e-2f1a9c3d7e20"
    assert stored.verification == "ok"
    assert stored.headers["X-Chatwoot-Signature"] == headers["X-Chatwoot-Signature"]

    assert process_inbound_delivery(stored.pk) == "processed"
    stored.refresh_from_db()
    assert stored.status == Status.PROCESSED and stored.processed_at is not None
    (ref,) = refs_for_external_id("gamma-chatwoot", 318, tenant=gamma)
    assert ref.data == {"event": "conversation_created"}
    assert process_inbound_delivery(stored.pk) == "not_claimed"  # never twice


def test_accepted_webhook_is_enqueued_after_commit(
    client, gamma, private_broker, django_capture_on_commit_callbacks
) -> None:
    broker = redis.Redis.from_url(private_broker.url)
    broker.delete("celery")
    body = chatwoot_webhook("message_created")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, CW_URL, body, chatwoot_headers(body)).status_code == 200
    assert background.flush(timeout=10)  # published by the background publisher
    (message,) = broker.lrange("celery", 0, -1)
    envelope = json.loads(message)
    assert envelope["headers"]["task"] == "eventbus.process_inbound"
    args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    assert args == [InboundDelivery.objects.get().pk]
    broker.delete("celery")


def test_valid_twenty_webhook(client, gamma) -> None:
    body = twenty_webhook("person.created")
    response = post(client, TWENTY_URL, body, twenty_headers(body))
    assert response.status_code == 200
    stored = InboundDelivery.objects.get()
    assert (stored.tenant, stored.event_type, stored.status) == (None, "person.created",
                                                                 Status.RECEIVED)


def test_twenty_test_vector_through_the_endpoint(client, gamma, settings) -> None:
    # The vector was signed in March 2026; widen the window instead of faking the clock.
    settings.EVENTBUS_INBOX_TIMESTAMP_TOLERANCE_SECONDS = 10 * 365 * 86400
    vector = twenty_test_vector()
    services.update_settings("gamma", None, {"twenty_secret": vector["secret"]})
    headers = {k: v for k, v in vector["headers"].items() if k != "Content-Type"}
    response = post(client, TWENTY_URL, vector["rawBody"].encode(), headers)
    assert response.status_code == 200, response.content
    stored = InboundDelivery.objects.get()
    assert stored.delivery_id == vector["headers"]["X-Twenty-Webhook-Nonce"]
    assert stored.signed_at.year == 2026


@pytest.mark.parametrize(
    ("headers_for", "reason"),
    [
        (lambda body: chatwoot_headers(body, secret="not-the-secret"), "bad_signature"),
        (lambda body: {k: v for k, v in chatwoot_headers(body).items()
                       if k != "X-Chatwoot-Signature"}, "missing_signature"),
        (lambda body: chatwoot_headers(body, ts=int(time.time()) - 301), "stale_timestamp"),
        (lambda body: chatwoot_headers(body, ts=int(time.time()) + 400), "stale_timestamp"),
    ],
)
def test_forged_missing_or_stale_signatures_are_401(client, gamma, headers_for, reason) -> None:
    body = chatwoot_webhook("message_created")
    response = post(client, CW_URL, body, headers_for(body))
    assert response.status_code == 401
    assert response.json() == {"error": reason}
    refused = InboundDelivery.objects.get()
    assert (refused.status, refused.verification, refused.response_status) == (
        Status.REFUSED, reason, 401,
    )


def test_wrong_twenty_signature_is_401(client, gamma) -> None:
    body = twenty_webhook("person.updated")
    response = post(client, TWENTY_URL, body, twenty_headers(body, secret="guess"))
    assert response.status_code == 401


def test_replayed_delivery_id_is_401_and_stored_once(client, gamma) -> None:
    body = chatwoot_webhook("message_created")
    headers = chatwoot_headers(body, delivery="a3c1d7e0-5b9f-4c2a-8e61-0d4f7b2a9c35")
    assert post(client, CW_URL, body, headers).status_code == 200
    # A captured request re-sent within the window: same id, valid signature.
    replay = post(client, CW_URL, body, headers)
    assert replay.status_code == 401 and replay.json() == {"error": "replayed"}
    assert InboundDelivery.objects.exclude(status=Status.REFUSED).count() == 1


def test_without_a_delivery_id_the_body_hash_deduplicates(client, gamma) -> None:
    body = chatwoot_webhook("contact_updated")
    assert post(client, CW_URL, body, chatwoot_headers(body, delivery="")).status_code == 200
    again = chatwoot_headers(body, ts=int(time.time()) + 1, delivery="")
    assert post(client, CW_URL, body, again).status_code == 401
    stored = InboundDelivery.objects.exclude(status=Status.REFUSED).get()
    assert stored.dedupe_key.startswith("sha256:")


def test_malformed_json_is_400(client, gamma) -> None:
    body = b'{"event": "message_created", "id": 1'  # cut off
    response = post(client, CW_URL, body, chatwoot_headers(body))
    assert response.status_code == 400 and response.json() == {"error": "malformed_json"}
    body = b'["not", "an", "object"]'
    assert post(client, CW_URL, body, chatwoot_headers(body)).status_code == 400
    body = b'{"no_event_key": true}'
    response = post(client, CW_URL, body, chatwoot_headers(body))
    assert response.status_code == 400 and response.json() == {"error": "missing_event_type"}


def test_body_over_one_mebibyte_is_413(client, gamma) -> None:
    payload = json.loads(chatwoot_webhook("message_created"))
    payload["content"] = "x" * (1024 * 1024)
    body = json.dumps(payload).encode()
    response = post(client, CW_URL, body, chatwoot_headers(body))
    assert response.status_code == 413
    assert InboundDelivery.objects.count() == 0


def test_unknown_event_is_200_and_stored_as_ignored(client, gamma) -> None:
    body = chatwoot_webhook("conversation_status_changed")  # real, but gamma has no handler
    response = post(client, CW_URL, body, chatwoot_headers(body))
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert InboundDelivery.objects.get().status == Status.IGNORED


def test_no_secret_configured_refuses_everything(client, tenant) -> None:
    enable_gamma("http://127.0.0.1:9/hook")  # no chatwoot_secret
    body = chatwoot_webhook("message_created")
    response = post(client, CW_URL, body, chatwoot_headers(body, secret=""))
    assert response.status_code == 401 and response.json() == {"error": "no_secret_configured"}


def test_payload_of_another_chatwoot_account_is_403(client, gamma) -> None:
    services.update_settings("gamma", gamma, {"chatwoot_account_id": 99})
    body = chatwoot_webhook("message_created")  # account id 3
    response = post(client, CW_URL, body, chatwoot_headers(body))
    assert response.status_code == 403 and response.json() == {"error": "account_mismatch"}


def test_unknown_source_tenant_or_scope_is_404(client, gamma) -> None:
    body = chatwoot_webhook("message_created")
    headers = chatwoot_headers(body)
    assert post(client, "/webhooks/nosuch/", body, headers).status_code == 404
    assert post(client, "/webhooks/gamma-chatwoot/no-such-shop/", body, headers).status_code == 404
    assert post(client, "/webhooks/gamma-chatwoot/", body, headers).status_code == 404
    assert post(client, "/webhooks/gamma-twenty/franchise-gyor/", body, headers).status_code == 404
    assert client.get(CW_URL).status_code == 405


def test_disabled_plugin_source_is_404(client, gamma) -> None:
    services.set_enabled("gamma", None, False)
    body = chatwoot_webhook("message_created")
    assert post(client, CW_URL, body, chatwoot_headers(body)).status_code == 404


def test_failing_handler_is_retried_then_failed_then_retried_by_admin(
    client, gamma, settings
) -> None:
    settings.EVENTBUS_MAX_ATTEMPTS = 2
    payload = json.loads(chatwoot_webhook("message_created"))
    payload["simulate_failure"] = True
    body = json.dumps(payload).encode()
    assert post(client, CW_URL, body, chatwoot_headers(body)).status_code == 200
    stored = InboundDelivery.objects.get()

    assert process_inbound_delivery(stored.pk) == "retry"
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.RECEIVED, 1)
    assert "simulated handler failure" in stored.last_error
    stored.next_attempt_at = stored.received_at  # due now
    stored.save(update_fields=["next_attempt_at"])
    assert process_inbound_delivery(stored.pk) == "failed"
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.FAILED, 2)

    assert retry_inbound(InboundDelivery.objects.all()) == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.RECEIVED, 0)


def test_handler_attempts_are_kept_and_a_permanent_error_fails_at_once(client, gamma) -> None:
    payload = json.loads(chatwoot_webhook("message_created"))
    payload["simulate_permanent_failure"] = True
    body = json.dumps(payload).encode()
    assert post(client, CW_URL, body, chatwoot_headers(body)).status_code == 200
    stored = InboundDelivery.objects.get()

    assert process_inbound_delivery(stored.pk) == "failed"  # not retried twelve times
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Status.FAILED, 1)
    assert stored.last_error == "simulated permanent failure"
    attempts = list(stored.attempt_log.values_list("number", "outcome", "error"))
    assert attempts == [(1, "dead", "simulated permanent failure")]


def test_a_handler_that_outlived_its_lease_does_not_write_the_outcome(client, gamma) -> None:
    body = chatwoot_webhook("message_created")
    assert post(client, CW_URL, body, chatwoot_headers(body)).status_code == 200
    stored = InboundDelivery.objects.get()
    from apps.plugin_manager.eventbus.inbox import processing

    real_claim = processing._claim

    def claim_then_lose_the_lease(inbound_id: int):
        token = real_claim(inbound_id)
        # Another worker takes the row over (our lease expired meanwhile).
        InboundDelivery.objects.filter(pk=inbound_id).update(lease_token=uuid.uuid4())
        return token

    processing._claim = claim_then_lose_the_lease
    try:
        assert process_inbound_delivery(stored.pk) == "processed"
    finally:
        processing._claim = real_claim
    stored.refresh_from_db()
    assert stored.status == Status.RECEIVED  # left to the worker holding the lease
    assert not stored.attempt_log.exists()


def test_a_payload_missing_a_field_its_handler_reads_is_refused_at_the_door(
    client, gamma
) -> None:
    payload = json.loads(chatwoot_webhook("conversation_created"))
    payload["id"] = "not-a-number"
    del payload["account"]
    body = json.dumps(payload).encode()
    response = post(client, CW_URL, body, chatwoot_headers(body))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_payload: id must be int; account.id missing"
    refused = InboundDelivery.objects.get()
    assert refused.status == Status.REFUSED and refused.response_status == 400
    assert "account.id missing" in refused.last_error
