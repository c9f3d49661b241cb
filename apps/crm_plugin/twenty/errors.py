"""Typed failures of the Twenty API, as the event bus understands them (NOTES.md §8).

The same pattern as every connector's ``errors.py``: a marker base (``TwentyError``) and
one class per kind of failure, each also an event-bus delivery error, so a handler lets
them propagate and the bus retries the transient ones (``retryable``) and fails the
permanent ones at once.

Twenty answers almost every error with HTTP 200 and a GraphQL ``errors`` array, so the
class of a failure comes from ``extensions.code`` and the message, not the status:
throttling ("Limit reached …", BAD_USER_INPUT), server trouble and conflicts are worth a
retry; authentication, permission, validation and bad input are not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from apps.plugin_manager.eventbus.errors import (
    PermanentDeliveryError,
    SetupPendingError,
    TransientDeliveryError,
)

from .data_model import OWN_NAMES

RETRYABLE_CODES = frozenset(
    {"INTERNAL_SERVER_ERROR", "TIMEOUT", "CONFLICT", "SCHEMA_VERSION_MISMATCH"}
)
AUTH_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})
INVALID_CODES = frozenset(
    {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "METHOD_NOT_ALLOWED"}
)
_LIMIT = re.compile(r"^Limit reached \((\d+) tokens per (\d+) ms\)")
# GraphQL validation naming something the workspace lacks ('Cannot query field "x" on type
# "Person"', 'Unknown type "RentalRecordFilterInput"', 'Unknown argument "y"' ...).
_UNKNOWN_NAME = re.compile(
    r'(?:Cannot query field|Unknown argument|Unknown type|is not defined by type)[^"]*"(\w+)"'
)
# Without a parsable message, wait for roughly one token of the default 100/min bucket.
DEFAULT_LIMIT_WAIT_SECONDS = 0.6


class TwentyError(Exception):
    """Marker base: any failure talking to Twenty (every subclass is also a bus error)."""

    message: str
    http_status: int | None
    retryable: bool
    code: str = ""
    errors: list[Mapping[str, Any]]

    def _remember(self, code: str, errors: Sequence[Mapping[str, Any]]) -> None:
        self.code = code
        self.errors = list(errors)


class TwentyTransientError(TwentyError, TransientDeliveryError):
    """Worth a retry: server trouble, conflicts, unknown codes (a retry is cheaper than a
    lost change)."""

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None,
                 http_status: int | None = None,
                 errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message, retry_after=retry_after, http_status=http_status)
        self._remember(code, errors)


class TwentyPermanentError(TwentyError, PermanentDeliveryError):
    """Retrying cannot help."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None,
                 errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message, http_status=http_status)
        self._remember(code, errors)


class TwentyRateLimited(TwentyTransientError):
    """"Limit reached (N tokens per M ms)" or HTTP 429; ``retry_after`` is one token's wait."""


class TwentyServerError(TwentyTransientError):
    """INTERNAL_SERVER_ERROR, TIMEOUT, CONFLICT, an unknown code, 5xx, or not a GraphQL answer."""


class TwentyUnavailable(TwentyTransientError):
    """No answer at all: connection refused, DNS, read/connect timeout."""


class TwentySchemaMissing(TwentyError, SetupPendingError):
    """A field or object of our data model does not exist in the workspace yet: the schema
    bootstrap (the plugin's setup step) has not run. The delivery waits for it instead of
    dying."""

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None,
                 http_status: int | None = None,
                 errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message, http_status=http_status)
        self.retry_after = retry_after
        self._remember(code, errors)


class TwentyUnauthorized(TwentyPermanentError):
    """UNAUTHENTICATED / FORBIDDEN: a wrong or missing API key."""


class TwentyNotFound(TwentyPermanentError):
    """NOT_FOUND: the record does not exist."""


class TwentyValidationError(TwentyPermanentError):
    """BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED ...: Twenty refused the data or document."""


class TwentyNotConfigured(TwentyPermanentError):
    """The plugin settings lack the Twenty URL or API key."""


def limit_wait_seconds(message: str) -> float | None:
    """Seconds until one token is back, from "Limit reached (100 tokens per 60000 ms)"."""
    match = _LIMIT.match(message)
    if match is None:
        return None
    tokens, window_ms = int(match.group(1)), int(match.group(2))
    return window_ms / 1000 / max(tokens, 1)


def _names_own_model(message: str) -> bool:
    """Whether a validation error is about our data model (not yet bootstrapped) rather
    than a wrong document: only the bootstrap creates those names."""
    for name in _UNKNOWN_NAME.findall(message):
        if name in OWN_NAMES or any(name.startswith(own[0].upper() + own[1:])
                                    for own in OWN_NAMES if own[0].islower()):
            return True
    return False


def classify_graphql_errors(
    errors: Sequence[Mapping[str, Any]], *, http_status: int | None = None
) -> TwentyError:
    """One TwentyError for a GraphQL ``errors`` array (the first error decides)."""
    first = errors[0] if errors else {}
    message = str(first.get("message") or "unknown GraphQL error")
    extensions = first.get("extensions") or {}
    code = str(extensions.get("code") or "")
    if message.startswith("Limit reached"):
        wait = limit_wait_seconds(message) or DEFAULT_LIMIT_WAIT_SECONDS
        return TwentyRateLimited(message, retry_after=wait, code=code, http_status=http_status,
                                 errors=errors)
    kind: type[TwentyTransientError | TwentyPermanentError | TwentySchemaMissing]
    if code == "GRAPHQL_VALIDATION_FAILED" and _names_own_model(message):
        kind = TwentySchemaMissing
    elif code in AUTH_CODES:
        kind = TwentyUnauthorized
    elif code == "NOT_FOUND":
        kind = TwentyNotFound
    elif code in INVALID_CODES:
        kind = TwentyValidationError
    else:
        # RETRYABLE_CODES and codes we do not know yet: a retry is cheaper than a lost change.
        kind = TwentyServerError
    return kind(message, code=code, http_status=http_status, errors=errors)


def error_for_http_status(status: int, retry_after: float | None = None) -> TwentyError:
    """A non-GraphQL answer (a proxy's 429/5xx page, a 404 for a wrong base URL)."""
    message = f"HTTP {status}"
    if status == 429:
        return TwentyRateLimited(message, retry_after=retry_after, http_status=status)
    if status >= 500 or status == 408:
        return TwentyServerError(message, retry_after=retry_after, http_status=status)
    if status in (401, 403):
        return TwentyUnauthorized(message, http_status=status)
    return TwentyValidationError(message, http_status=status)


__all__ = (
    "TwentyError",
    "TwentyNotConfigured",
    "TwentyNotFound",
    "TwentyPermanentError",
    "TwentyRateLimited",
    "TwentySchemaMissing",
    "TwentyServerError",
    "TwentyTransientError",
    "TwentyUnauthorized",
    "TwentyUnavailable",
    "TwentyValidationError",
    "classify_graphql_errors",
    "error_for_http_status",
    "limit_wait_seconds",
)
