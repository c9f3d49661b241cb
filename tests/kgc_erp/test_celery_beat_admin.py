"""django-celery-beat's pages in Hungarian: labels and crontab descriptions."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from kgc_erp.hungarian.cron import describe_crontab


@dataclass
class Cron:
    minute: str = "*"
    hour: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        (Cron("40", "3"), "naponta 3:40-kor"),
        (Cron("0", "9"), "naponta 9:00-kor"),
        (Cron("15", "*"), "óránként, az óra 15. percében"),
        (Cron("0", "*/2", day_of_week="1-5"), "cron: 0 */2 * * 1-5"),
    ],
)
def test_crontabs_are_described_in_hungarian(cron: Cron, expected: str) -> None:
    assert describe_crontab(cron) == expected


@pytest.mark.django_db
def test_periodic_task_pages_use_hungarian_labels(admin_client: Client) -> None:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    every_five = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="Teszt ötpercenként", task="x.y", interval=every_five)
    nightly = CrontabSchedule.objects.create(minute="40", hour="3", timezone="Europe/Budapest")
    PeriodicTask.objects.create(name="Teszt éjjel", task="x.z", crontab=nightly)
    listing = html.unescape(
        admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).text
    )
    crontabs = html.unescape(
        admin_client.get(reverse("admin:django_celery_beat_crontabschedule_changelist")).text
    )
    add_form = html.unescape(
        admin_client.get(reverse("admin:django_celery_beat_periodictask_add")).text
    )

    assert "Ütemezés" in listing and "feladat neve szerint" in listing
    assert "ismétlés: 5 perc" in listing
    assert "naponta 3:40-kor" in crontabs
    assert "Cron-ütemezés szövegesen" in add_form
    assert "naponta 3:40-kor" in add_form  # the form script's crontab descriptions
