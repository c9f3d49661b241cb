"""Cron schedules described in Hungarian.

django-celery-beat describes crontabs with cron-descriptor, which has no Hungarian ("At
03:40 AM"). The schedules the ERP uses are daily ones; those get a sentence, anything
else is shown as its cron expression, which is exact and not English.
"""

from __future__ import annotations

from typing import Protocol


class CronFields(Protocol):
    minute: str
    hour: str
    day_of_month: str
    month_of_year: str
    day_of_week: str


def describe_crontab(crontab: CronFields) -> str:
    """"naponta 3:40-kor" for a daily schedule, else "cron: 0 */2 * * 1-5"."""
    minute, hour = crontab.minute.strip(), crontab.hour.strip()
    every_day = all(
        value.strip() == "*"
        for value in (crontab.day_of_month, crontab.month_of_year, crontab.day_of_week)
    )
    if every_day and minute.isdigit() and hour.isdigit():
        return f"naponta {int(hour)}:{int(minute):02d}-kor"
    if every_day and minute.isdigit() and hour == "*":
        return f"óránként, az óra {int(minute)}. percében"
    expression = " ".join(
        (minute, hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week)
    )
    return f"cron: {expression}"
