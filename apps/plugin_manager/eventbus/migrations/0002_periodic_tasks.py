"""Beat schedules of the event bus, created as data so admins can edit them in the admin.

- "Eseménybusz: esedékes kézbesítések" runs `eventbus.sweep` every minute.
- "Eseménybusz: régi sorok törlése" runs `eventbus.prune` daily at 03:30 (Budapest).
"""

from django.db import migrations

SWEEP_NAME = "Eseménybusz: esedékes kézbesítések"
PRUNE_NAME = "Eseménybusz: régi sorok törlése"


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")

    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP_NAME,
        defaults={
            "task": "eventbus.sweep",
            "interval": every_minute,
            "crontab": None,
            "enabled": True,
            "description": "Újra sorba állítja a beragadt vagy el nem küldött kézbesítéseket.",
        },
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Budapest",
    )
    PeriodicTask.objects.update_or_create(
        name=PRUNE_NAME,
        defaults={
            "task": "eventbus.prune",
            "crontab": nightly,
            "interval": None,
            "enabled": True,
            "description": "Törli a megőrzési időn túli sikeres kézbesítéseket és webhookokat.",
        },
    )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=(SWEEP_NAME, PRUNE_NAME)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("eventbus", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
