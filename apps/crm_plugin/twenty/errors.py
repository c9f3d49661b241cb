"""Twenty's failures, classified once for every caller (NOTES.md section 8).

Twenty answers almost every error with HTTP 200 and a GraphQL `errors` array, so the
class of a failure comes from `extensions.code` and the message, not the status:
throttling ("Limit reached …", BAD_USER_INPUT), server trouble and conflicts are worth a
retry; authentication, permission, validation and bad input are not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError

RETRYABLE_CODES = frozenset(
    {"INTERNAL_SERVER_ERROR", "TIMEOUT", "CONFLICT", "SCHEMA_VERSION_MISMATCH"}
)
PERMANENT_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "METHOD_NOT_ALLOWED",
    }
)
_LIMIT = re.compile(r"^Limit reached \((\d+) tokens per (\d+) ms\)")
# Without a parsable message, wait for roughly one token of the default 100/min bucket.
DEFAULT_LIMIT_WAIT_SECONDS = 0.6


class TwentyError(Exception):
    """A failed call to Twenty. `retryable` decides between retry and dead letter."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        retryable: bool,
        retry_after: float | None = None,
        http_status: int | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.http_status = http_status
        self.errors = list(errors)

    @property
    def is_rate_limited(self) -> bool:
        return self.message.startswith("Limit reached") or self.http_status == 429

    @property
    def is_not_found(self) -> bool:
        return self.code == "NOT_FOUND"

    def to_delivery_error(self) -> TransientDeliveryError | PermanentDeliveryError:
        """The event-bus exception for this failure (raise it from a handler)."""
        text = f"Twenty {self.code or self.http_status or 'error'}: {self.message}"
        if self.retryable:
            return TransientDeliveryError(
                text, retry_after=self.retry_after, http_status=self.http_status
            )
        return PermanentDeliveryError(text, http_status=self.http_status)


def limit_wait_seconds(message: str) -> float | None:
    """Seconds until one token is back, from "Limit reached (100 tokens per 60000 ms)"."""
    match = _LIMIT.match(message)
    if match is None:
        return None
    tokens, window_ms = int(match.group(1)), int(match.group(2))
    return window_ms / 1000 / max(tokens, 1)


def classify_graphql_errors(
    errors: Sequence[Mapping[str, Any]], *, http_status: int | None = None
) -> TwentyError:
    """One TwentyError for a GraphQL `errors` array (the first error decides)."""
    first = errors[0] if errors else {}
    message = str(first.get("message") or "unknown GraphQL error")
    extensions = first.get("extensions") or {}
    code = str(extensions.get("code") or "")
    if message.startswith("Limit reached"):
        return TwentyError(
            message,
            code=code,
            retryable=True,
            retry_after=limit_wait_seconds(message) or DEFAULT_LIMIT_WAIT_SECONDS,
            http_status=http_status,
            errors=errors,
        )
    # Unknown codes are treated as transient: a retry is cheaper than a lost change.
    retryable = code in RETRYABLE_CODES or code not in PERMANENT_CODES
    return TwentyError(
        message, code=code, retryable=retryable, http_status=http_status, errors=errors
    )


def classify_http_status(status: int, retry_after: float | None = None) -> TwentyError:
    """A non-GraphQL answer (a proxy's 429/5xx page, a 404 for a wrong base URL)."""
    retryable = status >= 500 or status in (408, 429)
    return TwentyError(
        f"HTTP {status}", retryable=retryable, retry_after=retry_after, http_status=status
    )


__all__ = (
    "TwentyError",
    "classify_graphql_errors",
    "classify_http_status",
    "limit_wait_seconds",
)
