"""The sandbox clock: GLPI datetimes, plus an offset tests can advance instead of sleeping.

One clock drives both `date_mod`/`date` values and session idle expiry, so advancing it by
an hour both ages the records and expires idle sessions, as an hour of real time would.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

GLPI_FORMAT = "%Y-%m-%d %H:%M:%S"


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def monotonic(self) -> float:
        """For idle timeouts: never goes backwards, moves with `advance`."""
        return time.monotonic() + self.offset

    def now(self) -> datetime:
        # The simulated server's timezone is UTC: GLPI datetimes carry no zone at all.
        return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.offset)

    def now_text(self) -> str:
        return self.now().strftime(GLPI_FORMAT)


def http_date(glpi_datetime: str) -> str:
    """`Last-Modified` form of a GLPI datetime (which the sandbox keeps in UTC)."""
    moment = datetime.strptime(glpi_datetime, GLPI_FORMAT).replace(tzinfo=UTC)
    return format_datetime(moment, usegmt=True)
