"""HMAC signatures of webhooks: the mechanism, and KGC's own outbound format.

All checks run on the raw request body, compare in constant time and enforce a timestamp
window (default 5 minutes, either direction) so a captured request cannot be replayed
later. A connector describes its sender's format as a ``SignatureScheme`` in its own
``webhooks.py``; the bus defines only KGC's own (what receivers of our outbound webhooks
verify):

- KGC: ``X-KGC-Signature: sha256=<hex HMAC-SHA256(secret, "<ts>.<body>")>``,
  ``X-KGC-Timestamp`` in unix seconds, ``X-KGC-Event-Id``. During a secret rotation's grace
  period the header carries one signature per valid secret, comma-separated
  (``sha256=<new>,sha256=<old>``); a receiver accepts the request if any one matches.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apps.plugin_manager.eventbus import tuning


@dataclass(frozen=True)
class Verification:
    ok: bool
    # "ok", or why it failed: no_secret, missing_signature, missing_timestamp,
    # malformed_timestamp, bad_signature, stale_timestamp.
    reason: str
    delivery_id: str | None = None
    timestamp: datetime | None = None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively (works for plain dicts and request.headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def _check(
    *,
    secret: str,
    signatures: Iterable[str],
    expected: str,
    timestamp: datetime,
    now: datetime,
    tolerance: timedelta | None,
    delivery_id: str | None,
) -> Verification:
    # Signature first, so a forged request is reported as forged even when it is also old.
    if not any(_equal(candidate, expected) for candidate in signatures):
        return Verification(False, "bad_signature", delivery_id, timestamp)
    window = tolerance if tolerance is not None else tuning.inbox_timestamp_tolerance()
    if abs(now - timestamp) > window:
        return Verification(False, "stale_timestamp", delivery_id, timestamp)
    return Verification(True, "ok", delivery_id, timestamp)


def _parse_timestamp(raw: str | None, *, milliseconds: bool) -> datetime | str:
    if raw is None or not raw.strip():
        return "missing_timestamp"
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 16:
        return "malformed_timestamp"
    value = int(raw) / 1000 if milliseconds else int(raw)
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return "malformed_timestamp"


@dataclass(frozen=True)
class SignatureScheme:
    """One system's webhook signature format: which headers, what is signed, and how."""

    signature_header: str
    timestamp_header: str
    delivery_header: str
    separator: bytes  # between the timestamp and the raw body in the signed message
    prefix: str  # e.g. "sha256=" before the hex digest
    milliseconds: bool  # timestamp unit: milliseconds or seconds

    @property
    def header_names(self) -> tuple[str, str, str]:
        return (self.delivery_header, self.timestamp_header, self.signature_header)

    def sign(self, secret: str, timestamp: int | str, body: bytes) -> str:
        """The signature header value the system would send for this body."""
        message = str(timestamp).encode("ascii") + self.separator + body
        return self.prefix + _hmac_hex(secret, message)

    def verify(
        self,
        headers: Mapping[str, str],
        raw_body: bytes,
        secret: str,
        now: datetime,
        tolerance: timedelta | None = None,
    ) -> Verification:
        delivery_id = header(headers, self.delivery_header) or None
        if not secret:
            return Verification(False, "no_secret", delivery_id)
        signature = header(headers, self.signature_header)
        if not signature or not signature.strip():
            return Verification(False, "missing_signature", delivery_id)
        raw_ts = header(headers, self.timestamp_header)
        timestamp = _parse_timestamp(raw_ts, milliseconds=self.milliseconds)
        if isinstance(timestamp, str):
            return Verification(False, timestamp, delivery_id)
        assert raw_ts is not None
        return _check(
            secret=secret,
            signatures=signature.split(","),
            expected=self.sign(secret, raw_ts.strip(), raw_body),
            timestamp=timestamp,
            now=now,
            tolerance=tolerance,
            delivery_id=delivery_id,
        )


# What a receiver of KGC's outbound webhooks runs (also used by our tests).
KGC = SignatureScheme(
    signature_header="X-KGC-Signature",
    timestamp_header="X-KGC-Timestamp",
    delivery_header="X-KGC-Event-Id",
    separator=b".",
    prefix="sha256=",
    milliseconds=False,
)

verify_kgc = KGC.verify
sign_kgc = KGC.sign


def kgc_signature_header(secrets: Iterable[str], timestamp: int | str, body: bytes) -> str:
    """The X-KGC-Signature value: one signature per currently valid secret."""
    return ",".join(sign_kgc(secret, timestamp, body) for secret in secrets)


__all__ = (
    "KGC",
    "SignatureScheme",
    "Verification",
    "header",
    "kgc_signature_header",
    "sign_kgc",
    "verify_kgc",
)
