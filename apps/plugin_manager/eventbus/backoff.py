"""Retry delays: capped exponential backoff with jitter, or what the remote asked for."""

from __future__ import annotations

import random

from . import conf


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the attempt after `attempt` (1-based) failed transiently.

    "Equal jitter": half of the exponential step is fixed, half random, so retries of many
    deliveries that failed together spread out without ever retrying immediately. A
    `Retry-After` from the remote wins when it asks for longer.
    """
    step = min(conf.backoff_cap(), conf.backoff_base() * (2 ** max(0, attempt - 1)))
    delay = step / 2 + random.uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, conf.retry_after_cap()))
    return delay


__all__ = ("retry_delay",)
