"""Time values in the three encodings Chatwoot mixes in its JSON.

REST partials use Unix seconds (``created_at.to_i``), conversation ``updated_at`` is a float
(``to_f``), and raw ActiveRecord rows / webhook message payloads use ISO 8601 with
milliseconds and a ``Z`` suffix (Rails' default ``as_json`` for times).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def unix(value: float | None) -> int:
    """``Time#to_i``; nil becomes 0 exactly as ``nil.to_i`` does in Ruby."""
    return int(value) if value is not None else 0


def iso(value: float | None) -> str | None:
    """Rails' JSON encoding of a timestamp column (millisecond precision, UTC, ``Z``)."""
    if value is None:
        return None
    moment = datetime.fromtimestamp(value, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
