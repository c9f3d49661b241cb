"""How a subscriber handler reports failure, and how HTTP outcomes are classified.

A handler signals a failure by raising:

- `TransientDeliveryError`: worth retrying (timeout, connection error, 5xx, 429). The
  delivery is retried with capped exponential backoff and jitter; `retry_after` (seconds,
  e.g. from a `Retry-After` header) is honoured when given.
- `PermanentDeliveryError`: retrying cannot help (other 4xx, a payload the remote side
  rejects, a mapping error). The delivery goes `dead` at once, with the error shown in
  the admin.

Any other exception is treated as transient until the maximum number of attempts, then
dead, so a bug in a handler never loses an event silently.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

from django.utils import timezone


class DeliveryError(Exception):
    """Base class of the failures a handler may raise."""

    # Whether the bus retries it; connectors' typed errors inherit the answer.
    retryable: bool = True

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class TransientDeliveryError(DeliveryError):
    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    retryable = False


# Every SetupPendingError's message starts with this, so deliveries that died of one (before
# setup steps existed) can be found and retried once the step succeeds.
SETUP_PENDING_PREFIX = "setup pending: "


class SetupPendingError(TransientDeliveryError):
    """The outside system lacks what the connector's setup step creates (e.g. its data
    model): the delivery waits for the step (``apps.plugin_manager.setup_steps``) instead of
    failing, without using an attempt."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(SETUP_PENDING_PREFIX + message, http_status=http_status)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or timezone.now())).total_seconds())


def classify_http_status(
    status: int, retry_after_header: str | None = None
) -> TransientDeliveryError | PermanentDeliveryError | None:
    """The error a non-success HTTP status stands for (None for 2xx).

    5xx, 429 and 408 are transient (429/503 honour `Retry-After`); every other status
    (3xx redirects we do not follow, other 4xx) is permanent.
    """
    if 200 <= status < 300:
        return None
    if status >= 500 or status in (408, 429):
        return TransientDeliveryError(
            f"HTTP {status}",
            retry_after=parse_retry_after(retry_after_header),
            http_status=status,
        )
    return PermanentDeliveryError(f"HTTP {status}", http_status=status)


__all__ = (
    "SETUP_PENDING_PREFIX",
    "DeliveryError",
    "PermanentDeliveryError",
    "SetupPendingError",
    "TransientDeliveryError",
    "classify_http_status",
    "parse_retry_after",
)
