"""When a failed attempt is tried again: one policy for outbound deliveries and inbound
webhooks alike (capped exponential backoff with jitter, or what the remote asked for;
permanent errors and used-up attempts are final)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the attempt after `attempt` (1-based) failed transiently.

    "Equal jitter": half of the exponential step is fixed, half random, so retries of many
    deliveries that failed together spread out without ever retrying immediately. A
    `Retry-After` from the remote wins when it asks for longer.
    """
    step = min(tuning.backoff_cap(), tuning.backoff_base() * (2 ** max(0, attempt - 1)))
    delay = step / 2 + random.uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, tuning.retry_after_cap()))
    return delay




# Error texts are kept short: they are shown in the admin and may quote remote bodies.
ERROR_MAX_CHARS = 500


@dataclass(frozen=True)
class Failure:
    """What one failed attempt means, the same for outbound deliveries and inbound webhooks.

    ``dead``: no further attempt (a permanent error, or the attempts are used up);
    otherwise ``delay`` seconds until the next one. ``expected``: a classified delivery
    error (logged without a traceback), not a bug in a handler.
    """

    dead: bool
    delay: float
    error: str
    http_status: int | None
    expected: bool


def short_error(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    if not isinstance(error, DeliveryError):
        text = f"{type(error).__name__}: {text}"
    return str(text)[:ERROR_MAX_CHARS]


def classify_failure(error: BaseException, attempt: int) -> Failure:
    """The outcome of attempt number ``attempt`` (1-based) that raised ``error``.

    A ``PermanentDeliveryError`` is dead at once; anything else is retried with backoff
    (``retry_after`` honoured) until ``EVENTBUS_MAX_ATTEMPTS``, so a bug in a handler never
    loses an event silently, but never retries forever either.
    """
    expected = isinstance(error, DeliveryError)
    http_status = getattr(error, "http_status", None)
    text = short_error(error)
    if isinstance(error, PermanentDeliveryError) or attempt >= tuning.max_attempts():
        return Failure(True, 0.0, text, http_status, expected)
    retry_after = error.retry_after if isinstance(error, TransientDeliveryError) else None
    return Failure(False, retry_delay(attempt, retry_after), text, http_status, expected)


__all__ = ("ERROR_MAX_CHARS", "Failure", "classify_failure", "retry_delay", "short_error")
