"""Typed failures of the Krayin REST API, as the event bus understands them (NOTES.md §6).

A marker base (`KrayinError`) and one class per kind of failure, each also an event-bus
delivery error: handlers let them propagate, the bus retries the transient ones and fails
the permanent ones at once.

Krayin in production (APP_DEBUG=false) renders almost everything it does not expect as a
500 `admin::app.common.internal-server-error`: a bad token, a 429, a 405 and real bugs
alike. The client tells an auth failure apart by probing `GET /get` (see client.py); a
500 that survives that probe is server trouble and worth a retry, like 429 and timeouts.
422 is the validation answer, with dot paths (`emails.0.value`) as keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError

TAKEN = "already been taken"


class KrayinError(Exception):
    """Marker base: any failure talking to Krayin (every subclass is also a bus error)."""

    message: str
    http_status: int | None
    retryable: bool


class KrayinTransientError(KrayinError, TransientDeliveryError):
    """Worth a retry: server trouble, throttling, no answer."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 http_status: int | None = None) -> None:
        super().__init__(message, retry_after=retry_after, http_status=http_status)


class KrayinPermanentError(KrayinError, PermanentDeliveryError):
    """Retrying cannot help."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message, http_status=http_status)


class KrayinRateLimited(KrayinTransientError):
    """429 (debug rendering) with Retry-After."""


class KrayinServerError(KrayinTransientError):
    """5xx that is not an auth failure, a proxy's HTML page, a non-JSON answer."""


class KrayinUnavailable(KrayinTransientError):
    """No answer at all: connection refused, DNS, read/connect timeout."""


class KrayinUnauthorized(KrayinPermanentError):
    """Login refused (wrong credentials), or a fresh token refused again."""


class KrayinNotFound(KrayinPermanentError):
    """404: the record does not exist (persons answer 500 instead: see client.get_person)."""


class KrayinValidationError(KrayinPermanentError):
    """422: Krayin refused the data; `errors` maps dot paths to messages."""

    def __init__(self, message: str, *, errors: Mapping[str, Sequence[str]] | None = None,
                 http_status: int | None = 422) -> None:
        super().__init__(message, http_status=http_status)
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    def taken_paths(self) -> list[str]:
        """The dot paths refused as duplicates ("The value has already been taken.")."""
        return [path for path, messages in self.errors.items()
                if any(TAKEN in message for message in messages)]  # fmt: skip

    @property
    def already_taken(self) -> bool:
        return bool(self.taken_paths())


class KrayinNotConfigured(KrayinPermanentError):
    """The plugin settings lack the Krayin URL, user or password."""


__all__ = (
    "KrayinError",
    "KrayinNotConfigured",
    "KrayinNotFound",
    "KrayinPermanentError",
    "KrayinRateLimited",
    "KrayinServerError",
    "KrayinTransientError",
    "KrayinUnauthorized",
    "KrayinUnavailable",
    "KrayinValidationError",
)
