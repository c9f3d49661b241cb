"""`Idempotency-Key` for write requests: a retried request gets the first answer back.

The key is claimed by inserting its row inside the same transaction as the write. A
concurrent request with the same key blocks on the unique index until the first commits
and then replays its answer; if the first rolls back (a validation error, a taken slot),
the row goes with it and the key can be used again. Only successful answers are stored.
"""

from __future__ import annotations

import hashlib
import json
import re

from rest_framework.request import Request
from rest_framework.response import Response

from .errors import InvalidParameter, Unprocessable
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


def read_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None when absent, 400 when malformed."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not _KEY_PATTERN.match(key):
        raise InvalidParameter(
            "Az Idempotency-Key fejléc 1–255 látható ASCII karakterből álljon "
            "(pl. egy UUID).",
            code="invalid_idempotency_key",
        )
    return key


def fingerprint(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    *, tenant_id: int, endpoint: str, key: str, request_hash: str
) -> tuple[IdempotencyRecord, Response | None]:
    """Claim `key` for this request. Must run inside the write's transaction.

    Returns (record, None) when the key is new, (record, replayed response) when the
    same request was answered before; a different request under the same key is 422.
    """
    record, created = IdempotencyRecord.objects.get_or_create(
        tenant_id=tenant_id, endpoint=endpoint, key=key,
        defaults={"request_hash": request_hash},
    )
    if created:
        return record, None
    if record.request_hash != request_hash:
        raise Unprocessable(
            "Ezt az Idempotency-Key értéket már egy másik tartalmú kéréshez használták.",
            code="idempotency_key_reused",
        )
    replay = Response(record.response_body, status=record.response_status,
                      headers={REPLAY_HEADER: "true"})
    return record, replay


def remember(record: IdempotencyRecord, response: Response, partner_id: int | None) -> None:
    record.response_status = response.status_code
    record.response_body = response.data
    record.partner_id = partner_id
    record.save(update_fields=["response_status", "response_body", "partner_id"])
