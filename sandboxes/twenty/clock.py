"""Timestamps in the exact text form Twenty returns (ISO 8601, milliseconds, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(moment: datetime) -> str:
    """Format like JavaScript's Date.toISOString(), which Twenty's payloads use."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso_ms(datetime.now(UTC))
