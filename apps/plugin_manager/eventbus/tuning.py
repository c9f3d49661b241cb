"""The event bus's tunable numbers (leases, backoff, limits, retention): typed access to the
"Event bus" block of Django settings, with their defaults.

Read at call time (not import time) so tests can override them with `settings`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def _get(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def max_attempts() -> int:
    return int(_get("EVENTBUS_MAX_ATTEMPTS", 12))


def backoff_base() -> float:
    return _get("EVENTBUS_BACKOFF_BASE_SECONDS", 10.0)


def backoff_cap() -> float:
    return _get("EVENTBUS_BACKOFF_MAX_SECONDS", 3600.0)


def retry_after_cap() -> float:
    # A remote asking for more than a day is treated as asking for a day.
    return _get("EVENTBUS_RETRY_AFTER_MAX_SECONDS", 86400.0)


def lease() -> timedelta:
    return timedelta(seconds=_get("EVENTBUS_LEASE_SECONDS", 300.0))


def circuit_open_delay() -> timedelta:
    return timedelta(seconds=_get("EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS", 60.0))


def countdown_limit() -> float:
    # Retries due sooner than this are scheduled as Celery countdown tasks; later ones
    # are left to the sweeper (long ETAs sit in worker memory and collide with Redis'
    # visibility timeout).
    return _get("EVENTBUS_COUNTDOWN_MAX_SECONDS", 300.0)


def sweep_grace() -> timedelta:
    # A due row not picked up within this long is assumed lost by the broker.
    return timedelta(seconds=_get("EVENTBUS_SWEEP_GRACE_SECONDS", 60.0))


def sweep_batch() -> int:
    # Rows re-enqueued per sweep (in messages of 100 ids): enough to recover from a long
    # broker outage within minutes.
    return int(_get("EVENTBUS_SWEEP_BATCH", 20000))


def succeeded_retention() -> timedelta:
    return timedelta(days=_get("EVENTBUS_SUCCEEDED_RETENTION_DAYS", 7))


def inbox_retention() -> timedelta:
    return timedelta(days=_get("EVENTBUS_INBOX_RETENTION_DAYS", 30))


def webhook_timeout() -> float:
    return _get("EVENTBUS_WEBHOOK_TIMEOUT_SECONDS", 10.0)


def webhook_secret_grace() -> timedelta:
    return timedelta(hours=_get("EVENTBUS_WEBHOOK_SECRET_GRACE_HOURS", 24.0))


def inbox_max_body_bytes() -> int:
    return int(_get("EVENTBUS_INBOX_MAX_BODY_BYTES", 1024 * 1024))


def inbox_timestamp_tolerance() -> timedelta:
    return timedelta(seconds=_get("EVENTBUS_INBOX_TIMESTAMP_TOLERANCE_SECONDS", 300.0))


def enqueue_pause_after_failure() -> float:
    # After a failed publish the process stops trying for this long: the rows are safe in
    # the database and the sweeper enqueues them, so hammering a dead broker on every
    # save would only slow the counter staff down.
    return _get("EVENTBUS_ENQUEUE_PAUSE_SECONDS", 5.0)
