"""When the workshop takes appointments: the opening hours and the slot grid.

Mon-Fri 7:00-17:00, Sat 8:00-12:00, closed on Sunday; appointments start on the hour or
half past (30-minute slots) and must end by closing time. Booking is possible from the
next slot up to BOOKING_HORIZON_DAYS ahead. Times are the store's local time
(settings.TIME_ZONE, Europe/Budapest).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

SLOT_MINUTES = 30
SLOT = timedelta(minutes=SLOT_MINUTES)
BOOKING_HORIZON_DAYS = 180

# weekday (Monday = 0) -> (opens, closes)
OPENING_HOURS: dict[int, tuple[time, time]] = {
    0: (time(7, 0), time(17, 0)),
    1: (time(7, 0), time(17, 0)),
    2: (time(7, 0), time(17, 0)),
    3: (time(7, 0), time(17, 0)),
    4: (time(7, 0), time(17, 0)),
    5: (time(8, 0), time(12, 0)),
}
OPENING_HOURS_HU = "hétfő–péntek 7:00–17:00, szombat 8:00–12:00, vasárnap zárva"


class SlotNotBookable(ValueError):
    """The requested start is not a bookable slot (Hungarian message for the customer)."""


def validate_slot(starts_at: datetime, now: datetime | None = None) -> datetime:
    """The slot start in local time, or SlotNotBookable saying why not."""
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    now = now or timezone.now()
    local = timezone.localtime(starts_at)
    if local <= now:
        raise SlotNotBookable("Múltbeli időpontra nem lehet foglalni.")
    if local - now > timedelta(days=BOOKING_HORIZON_DAYS):
        raise SlotNotBookable(
            f"Legfeljebb {BOOKING_HORIZON_DAYS} nappal előre lehet időpontot foglalni."
        )
    if local.second or local.microsecond or local.minute % SLOT_MINUTES:
        raise SlotNotBookable(
            f"Időpont csak egész vagy fél órára foglalható ({SLOT_MINUTES} perces sávok)."
        )
    hours = OPENING_HOURS.get(local.weekday())
    if hours is None:
        raise SlotNotBookable(f"Erre a napra nem lehet foglalni. Nyitvatartás: {OPENING_HOURS_HU}.")
    opens, closes = hours
    ends = (datetime.combine(local.date(), local.time()) + SLOT).time()
    if local.time() < opens or ends > closes or ends < opens:
        raise SlotNotBookable(f"A kért időpont nyitvatartáson kívül esik. Nyitvatartás: "
                              f"{OPENING_HOURS_HU}.")
    return local
