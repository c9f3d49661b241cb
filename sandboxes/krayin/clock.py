"""Time as Krayin handles it (NOTES section 2).

Laravel stores timestamps in the app timezone (default Asia/Kolkata) at whole-second
precision, and Carbon serializes them as UTC with six (always zero) fractional digits.
Date and datetime *inputs* are read in the app timezone, so a `Y-m-d` date comes back as
the previous day at 18:30Z under Asia/Kolkata.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Kolkata"
LOCAL_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def now() -> datetime:
    """MySQL TIMESTAMP columns drop fractions: two writes in one second share updated_at."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_local_date(text: str, tz: ZoneInfo) -> datetime | None:
    """`Y-m-d` at local midnight, as a UTC instant; None when the text is not that format."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None
    if day.strftime("%Y-%m-%d") != text:
        return None
    return day.replace(tzinfo=tz).astimezone(UTC)


def parse_local_datetime(text: str, tz: ZoneInfo) -> datetime | None:
    """Carbon::parse of an app-timezone string: `Y-m-d H:i:s`, `Y-m-d H:i` or `Y-m-d`."""
    for fmt in (LOCAL_DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz).astimezone(UTC)
        except ValueError:
            continue
    return None


def local_today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def local_yesterday(tz: ZoneInfo) -> date:
    return local_today(tz) - timedelta(days=1)


def local_text(moment: datetime, tz: ZoneInfo) -> str:
    """The text MySQL holds for a timestamp: what column filters compare against."""
    return moment.astimezone(tz).strftime(LOCAL_DATETIME_FORMAT)
