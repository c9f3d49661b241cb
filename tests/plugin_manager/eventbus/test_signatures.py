"""The bus's signature mechanism with the connectors' schemes, against the real formats
(and Twenty's published test vector)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.crm_plugin.twenty.webhooks import SIGNATURE as TWENTY_SIGNATURE
from apps.plugin_manager.eventbus.signatures import kgc_signature_header, sign_kgc, verify_kgc
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE

from .contracts import chatwoot_webhook, twenty_test_vector

NOW = datetime(2026, 8, 18, 9, 12, 5, tzinfo=UTC)
SECRET = "cw-secret-Tz8kq2"


def _chatwoot_headers(body: bytes, ts: int, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Chatwoot-Signature": CHATWOOT_SIGNATURE.sign(secret, ts, body),
        "X-Chatwoot-Timestamp": str(ts),
        "X-Chatwoot-Delivery": "0b0e5d2c-7c1f-4d7e-9a59-1f0b6a2c9e11",
    }


def test_twenty_test_vector_verifies() -> None:
    vector = twenty_test_vector()
    raw = vector["rawBody"].encode()
    ts_ms = int(vector["headers"]["X-Twenty-Webhook-Timestamp"])
    now = datetime.fromtimestamp(ts_ms / 1000, tz=UTC) + timedelta(seconds=2)
    result = TWENTY_SIGNATURE.verify(vector["headers"], raw, vector["secret"], now)
    assert result.ok, result.reason
    assert result.delivery_id == vector["headers"]["X-Twenty-Webhook-Nonce"]
    assert result.timestamp == datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    assert TWENTY_SIGNATURE.sign(vector["secret"], ts_ms, raw) == vector["headers"][
        "X-Twenty-Webhook-Signature"
    ]


def test_twenty_test_vector_is_stale_today_and_forged_with_another_secret() -> None:
    vector = twenty_test_vector()
    raw = vector["rawBody"].encode()
    ts = datetime.fromtimestamp(int(vector["headers"]["X-Twenty-Webhook-Timestamp"]) / 1000, UTC)
    late = ts + timedelta(minutes=6)
    assert TWENTY_SIGNATURE.verify(vector["headers"], raw, vector["secret"], late).reason == (
        "stale_timestamp"
    )
    assert TWENTY_SIGNATURE.verify(vector["headers"], raw, "other", ts).reason == "bad_signature"
    assert TWENTY_SIGNATURE.verify(vector["headers"], raw + b" ", vector["secret"], ts
                         ).reason == "bad_signature"


def test_chatwoot_signature_over_the_raw_body() -> None:
    body = chatwoot_webhook("conversation_created")
    ts = int(NOW.timestamp())
    result = CHATWOOT_SIGNATURE.verify(_chatwoot_headers(body, ts), body, SECRET, NOW)
    assert result.ok and result.delivery_id == "0b0e5d2c-7c1f-4d7e-9a59-1f0b6a2c9e11"
    # lower-case header names (as some proxies forward them) work the same
    lowered = {k.lower(): v for k, v in _chatwoot_headers(body, ts).items()}
    assert CHATWOOT_SIGNATURE.verify(lowered, body, SECRET, NOW).ok


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h.pop("X-Chatwoot-Signature"), "missing_signature"),
        (lambda h: h.pop("X-Chatwoot-Timestamp"), "missing_timestamp"),
        (lambda h: h.update({"X-Chatwoot-Timestamp": "yesterday"}), "malformed_timestamp"),
        (lambda h: h.update({"X-Chatwoot-Signature": "sha256=" + "0" * 64}), "bad_signature"),
        # the signature without its "sha256=" prefix is not the format Chatwoot sends
        (lambda h: h.update({"X-Chatwoot-Signature": h["X-Chatwoot-Signature"][7:]}),
         "bad_signature"),
    ],
)
def test_chatwoot_refusals(mutate, reason: str) -> None:
    body = chatwoot_webhook("message_created")
    headers = _chatwoot_headers(body, int(NOW.timestamp()))
    mutate(headers)
    assert CHATWOOT_SIGNATURE.verify(headers, body, SECRET, NOW).reason == reason


def test_chatwoot_timestamp_window_is_five_minutes_both_ways() -> None:
    body = chatwoot_webhook("message_created")
    for offset, ok in ((-299, True), (299, True), (-301, False), (301, False)):
        ts = int(NOW.timestamp()) + offset
        result = CHATWOOT_SIGNATURE.verify(_chatwoot_headers(body, ts), body, SECRET, NOW)
        assert result.ok is ok, offset
        if not ok:
            assert result.reason == "stale_timestamp"


def test_a_timestamp_signed_for_another_body_does_not_verify() -> None:
    body = chatwoot_webhook("message_created")
    headers = _chatwoot_headers(body, int(NOW.timestamp()))
    headers["X-Chatwoot-Timestamp"] = str(int(NOW.timestamp()) + 1)
    assert CHATWOOT_SIGNATURE.verify(headers, body, SECRET, NOW).reason == "bad_signature"


def test_empty_secret_never_verifies() -> None:
    body = b"{}"
    headers = _chatwoot_headers(body, int(NOW.timestamp()), secret="")
    assert CHATWOOT_SIGNATURE.verify(headers, body, "", NOW).reason == "no_secret"


def test_kgc_signature_with_rotation_grace() -> None:
    body = b'{"id":"e1"}'
    ts = int(NOW.timestamp())
    assert sign_kgc("k", ts, body).startswith("sha256=")
    header = kgc_signature_header(["new-secret", "old-secret"], ts, body)
    assert header.count("sha256=") == 2
    headers = {"X-KGC-Signature": header, "X-KGC-Timestamp": str(ts), "X-KGC-Event-Id": "e1"}
    assert verify_kgc(headers, body, "new-secret", NOW).ok
    assert verify_kgc(headers, body, "old-secret", NOW).ok
    assert verify_kgc(headers, body, "third", NOW).reason == "bad_signature"
